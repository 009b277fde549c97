// Where this package lives and where its tools are: its own SQL beside src/, and the binaries of the npm
// packages it depends on, wherever npm installed them (hoisted to a workspace root, or inside this package).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The package's own folder (package.json, sql/, src/), whatever project folder the stack serves. */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const require = createRequire(import.meta.url);

/** The folder of an installed dependency (its package.json's). */
export const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));

/** The executable a dependency declares as `bin` (`name` in its bin map, or its only one). */
export function binOf(pkg: string, name: string): string {
  const dir = packageDir(pkg);
  const { bin } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
    bin?: string | Record<string, string>;
  };
  const path = typeof bin === "string" ? bin : bin?.[name];
  if (!path) throw new Error(`${pkg} declares no ${name} executable`);
  return join(dir, path);
}

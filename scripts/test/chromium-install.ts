// Makes Debian's Chromium available to the browser layer (Playwright drives it; Playwright's own
// browser downloads are not reachable here), installing the package when it is missing, as pgTAP is.
import { existsSync } from "node:fs";
import { aptGet } from "./layer.ts";

export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? "/usr/bin/chromium";

export function ensureChromium(log: (m: string) => void): string {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  try {
    log("Chromium: installing Debian's chromium package (apt-get install -y chromium)");
    aptGet(["install", "-y", "--no-install-recommends", "chromium"], undefined, (m) => log(`Chromium: ${m}`));
  } catch (e) {
    throw new Error(
      `Chromium is needed for the browser tests and could not be installed (${e instanceof Error ? e.message.split("\n")[0] : e}).\n` +
        `Install it with: apt-get update && apt-get install -y chromium — or set PARLEY_CHROMIUM to a Chromium binary — then run npm test again.`,
    );
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is missing`);
  return CHROMIUM;
}

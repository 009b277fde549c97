// The project folder the suites' own stack serves when the run names no other (test/project: a config.toml only).
import { join } from "node:path";
import { PACKAGE_ROOT } from "../../src/paths.ts";

export const TEST_PROJECT = join(PACKAGE_ROOT, "test", "project");

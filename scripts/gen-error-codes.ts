// `npm run error-codes`: regenerates functions/_shared/error-codes.ts from the codes the SQL, the functions and the SDK raise.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { PARLEY_ROOT } from "./paths.ts";
import { ERROR_CODES_FILE, formatErrorCodes, scanRaisedCodes } from "./error-codes/scan.ts";

writeFileSync(join(PARLEY_ROOT, ERROR_CODES_FILE), formatErrorCodes(scanRaisedCodes(PARLEY_ROOT)));
console.log(`wrote ${ERROR_CODES_FILE}`);

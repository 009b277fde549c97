// Helpers for the browser suites: Chromium through playwright-core, one context per person, the app's
// sign-up, screenshots of every page when a test fails, and a small PNG to upload.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { beforeEach } from "vitest";

const env = process.env;
export const webUrl = env.PARLEY_WEB_URL ?? "";
if (!webUrl)
  throw new Error(
    "PARLEY_WEB_URL is not set: run the browser suites with `npm test -- examples/web` (it builds and serves the app).",
  );

/** How long a person waits for something to appear before the test fails (an upper bound, not a timing assertion). */
export const PATIENCE_MS = 20_000;

export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: env.PARLEY_CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    // As root in CI Chromium needs --no-sandbox; fake media devices let calls ask for a microphone and camera.
    args: ["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
  });
}

export interface Person {
  context: BrowserContext;
  page: Page;
  email: string;
  username: string;
  displayName: string;
}

const tag = () => Math.random().toString(36).slice(2, 8);
/** A run tag: every suite makes its own people, so suites and runs never share users. */
export const runTag = tag();

/** Opens a fresh browser context (its own storage: a separate person) and signs up through the app's form. */
export async function signUp(browser: Browser, first: string): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 640 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.setDefaultTimeout(PATIENCE_MS);
  const t = tag();
  const person = {
    context,
    page,
    email: `${first.toLowerCase()}.${runTag}${t}@example.com`,
    username: `${first.toLowerCase()}_${runTag}${t}`,
    displayName: `${first} ${runTag}`,
  };
  await page.goto(webUrl);
  await page.getByRole("tab", { name: "Create account" }).click();
  await page.getByLabel("Email").fill(person.email);
  await page.getByLabel("Password").fill("a-long-password");
  await page.getByLabel("Username").fill(person.username);
  await page.getByLabel("Display name").fill(person.displayName);
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.getByRole("button", { name: "New chat" }).waitFor();
  return person;
}

/** On failure, a screenshot of each person's page into PARLEY_SCREENSHOT_DIR (.parley/…, kept with the run's logs). */
export function screenshotsOnFailure(people: () => Person[]): void {
  beforeEach(({ onTestFailed }) =>
    onTestFailed(async ({ task }) => {
      const dir = env.PARLEY_SCREENSHOT_DIR ?? join(process.cwd(), ".parley", "screenshots");
      mkdirSync(dir, { recursive: true });
      const name = task.name.replace(/[^\w-]+/g, "_").slice(0, 60);
      for (const p of people())
        await p.page.screenshot({ path: join(dir, `${name}-${p.username}.png`) }).catch(() => undefined);
    }),
  );
}

/** Waits until `locator` has an element whose text matches. */
export async function waitForText(locator: Locator, text: string | RegExp): Promise<void> {
  await locator.filter({ hasText: text }).first().waitFor();
}

/** A small solid-colour PNG (width × height), made here so the suite needs no fixture file. */
export function png(width: number, height: number, rgb: [number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), body.length + 4);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", pixels),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

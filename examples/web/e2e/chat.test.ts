// Two (then three) people in real Chromium, each in their own browser context, using the example app
// against the stack: a direct conversation arriving live, read ticks, typing, an image, a group with a
// role change, and a declined call. One story: each step builds on the previous one.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, it } from "vitest";
import { launch, png, screenshotsOnFailure, signUp, waitForText, type Person } from "./browser.ts";

/** Set PARLEY_DOCS_SCREENSHOTS=docs/images to refresh the README's pictures from this run. */
const docsShots = process.env.PARLEY_DOCS_SCREENSHOTS;
const docsShot = async (page: Page, name: string) => {
  if (!docsShots) return;
  mkdirSync(docsShots, { recursive: true });
  await page.screenshot({ path: join(docsShots, name) });
};

const row = (p: Person, title: string) => p.page.getByTestId("inbox-row").filter({ hasText: title });
const messages = (p: Person) => p.page.getByTestId("message");

describe("the web app in a browser", () => {
  let browser: Browser;
  let ann: Person;
  let bob: Person;
  let cat: Person | undefined;
  const people = () => [ann, bob, cat].filter((p): p is Person => p !== undefined);
  screenshotsOnFailure(people);

  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("signs two people up, each landing on an empty inbox", async () => {
    [ann, bob] = await Promise.all([signUp(browser, "Ann"), signUp(browser, "Bob")]);
    for (const p of [ann, bob]) await p.page.getByText("No conversations yet").waitFor();
  });

  it("Ann finds Bob by username and writes; Bob's inbox shows it live with an unread badge", async () => {
    await ann.page.getByRole("button", { name: "New chat" }).click();
    await ann.page.getByLabel("Search people").fill(bob.username);
    await ann.page.getByRole("button", { name: `Message ${bob.username}` }).click();
    await ann.page.getByRole("heading", { name: bob.displayName }).waitFor();
    // The conversation's empty state (the inbox row of the new conversation may say "No messages yet" too).
    await ann.page.getByText("No messages yet. Say hello!").waitFor();
    await ann.page.getByLabel("Message", { exact: true }).fill("Hello Bob!");
    await ann.page.getByRole("button", { name: "Send" }).click();
    await waitForText(messages(ann), "Hello Bob!");

    // Bob did nothing: the conversation and its badge arrive over Realtime.
    await waitForText(row(bob, ann.displayName).getByTestId("unread"), /^1$/);
    await waitForText(row(bob, ann.displayName), "Hello Bob!");
  });

  it("Bob opens it, and Ann sees her message read", async () => {
    await ann.page.getByTestId("tick").and(ann.page.getByLabel("Sent")).waitFor();
    await row(bob, ann.displayName).click();
    await waitForText(messages(bob), "Hello Bob!");
    await row(bob, ann.displayName).getByTestId("unread").waitFor({ state: "detached" });
    await ann.page.getByTestId("tick").and(ann.page.getByLabel("Read")).waitFor();
  });

  it("shows typing on the other side, and the reply arrives", async () => {
    await bob.page.getByLabel("Message", { exact: true }).pressSequentially("Hi Ann");
    await waitForText(ann.page.getByTestId("typing"), `${bob.displayName} is typing…`);
    await bob.page.getByLabel("Message", { exact: true }).press("Enter");
    await waitForText(messages(ann), "Hi Ann");
    await waitForText(ann.page.getByTestId("typing"), /^\s*$/);
  });

  it("an image Ann uploads appears for both, with a preview", async () => {
    await ann.page
      .getByLabel("Attach a file")
      .setInputFiles({ name: "sunset.png", mimeType: "image/png", buffer: png(160, 96, [240, 140, 60]) });
    const loaded = (page: Page) =>
      page.waitForFunction(() =>
        [...document.querySelectorAll<HTMLImageElement>("img[data-testid=photo]")].some(
          (img) => img.complete && img.naturalWidth === 160,
        ),
      );
    await Promise.all([loaded(ann.page), loaded(bob.page)]);
    await waitForText(row(bob, ann.displayName), "Photo");
    await docsShot(ann.page, "conversation.png");
  });

  it("Ann makes a group of three (Cat, a stranger, joins from her invitation) and makes Bob an admin; Bob sees his role change", async () => {
    cat = await signUp(browser, "Cat");
    const title = `Trio ${ann.username.slice(-6)}`;
    await ann.page.getByRole("button", { name: "New group" }).click();
    await ann.page.getByLabel("Group name").fill(title);
    for (const p of [bob, cat]) {
      await ann.page.getByLabel("Search people").fill(p.username);
      await ann.page.getByRole("button", { name: `Add ${p.username}` }).click();
    }
    await ann.page.getByRole("button", { name: "Create group" }).click();
    await ann.page.getByRole("heading", { name: title }).waitFor();
    // Bob has talked with Ann, so he is in at once; Cat has not, so she is invited and joins from her inbox.
    await ann.page.getByText("2 members").waitFor();
    await cat.page.getByRole("button", { name: `Join ${title}` }).click();
    await cat.page.getByRole("heading", { name: title }).waitFor();
    await ann.page.getByText("3 members").waitFor(); // live, without reopening
    await ann.page.getByLabel("Message", { exact: true }).fill("Welcome, both of you");
    await ann.page.getByLabel("Message", { exact: true }).press("Enter");

    for (const p of [bob, cat]) await waitForText(row(p, title), "Welcome, both of you");
    await waitForText(row(bob, title).getByTestId("unread"), /^\d+$/); // the welcome, and the "group created" line
    await bob.page.getByRole("tab", { name: "Chats" }).click();
    await docsShot(bob.page, "inbox.png");
    await row(bob, title).click();
    await bob.page.getByRole("button", { name: "Group info" }).click();
    const bobsRole = bob.page.getByTestId("member").filter({ hasText: "(you)" }).getByTestId("role");
    await waitForText(bobsRole, "member");

    await ann.page.getByRole("button", { name: "Group info" }).click();
    await ann.page.getByLabel(`Role of ${bob.username}`).selectOption("admin");
    await waitForText(bobsRole, "admin"); // live, without reopening
    await bob.page.getByRole("button", { name: "Close" }).click();
    await ann.page.getByRole("button", { name: "Close" }).click();
  });

  it("edits, replies and deletes show on both sides", async () => {
    const bubble = (p: Person, text: string) => messages(p).filter({ hasText: text }).first();
    await row(ann, bob.displayName).click();
    await row(bob, ann.displayName).click();
    await bubble(ann, "Hello Bob!").hover();
    await bubble(ann, "Hello Bob!").getByRole("button", { name: "Edit" }).click();
    await ann.page.getByLabel("Edit message").fill("Hello Bob, edited");
    await ann.page.getByRole("button", { name: "Save" }).click();
    await waitForText(bubble(bob, "Hello Bob, edited"), "edited ·");

    await bubble(bob, "Hello Bob, edited").hover();
    await bubble(bob, "Hello Bob, edited").getByRole("button", { name: "Reply" }).click();
    await bob.page.getByLabel("Message", { exact: true }).fill("Replying to that");
    await bob.page.getByLabel("Message", { exact: true }).press("Enter");
    await waitForText(bubble(ann, "Replying to that").locator("blockquote"), "Hello Bob, edited");

    bob.page.once("dialog", (d) => void d.accept());
    await bubble(bob, "Replying to that").hover();
    await bubble(bob, "Replying to that").getByRole("button", { name: "Delete" }).click();
    for (const p of [ann, bob]) await p.page.getByText("This message was deleted").waitFor();
    await messages(ann).filter({ hasText: "Replying to that" }).waitFor({ state: "detached" });
  });

  it("Ann calls Bob: it rings on Bob's side, he declines, Ann sees declined", async () => {
    await ann.page.getByRole("button", { name: "Audio call" }).click();
    await ann.page.getByText("Ringing…").waitFor();
    const ringing = bob.page.getByRole("dialog", { name: "Call" });
    await waitForText(ringing, "Incoming audio call");
    await waitForText(ringing, ann.displayName);
    await ringing.getByRole("button", { name: "Decline" }).click();
    await waitForText(ann.page.getByTestId("call-outcome"), "declined");
    await ann.page.getByRole("button", { name: "Close" }).click();
    await ann.page.getByRole("tab", { name: "Calls" }).click();
    await waitForText(ann.page.getByTestId("call-row"), /audio · declined/);
    await ann.page.getByRole("tab", { name: "Chats" }).click();
  });

  it("Bob calls Ann on video and she accepts: both are in the call (LiveKit media, or the message how to run it), then Bob hangs up", async () => {
    await bob.page.getByTestId("inbox-row").filter({ hasText: ann.displayName }).click();
    await bob.page.getByRole("button", { name: "Video call" }).click();
    const ringing = ann.page.getByRole("dialog", { name: "Call" });
    await waitForText(ringing, "Incoming video call");
    await ringing.getByRole("button", { name: "Accept" }).click();
    // Accepting fetches a LiveKit token from the call-token function, cross-origin from the browser.
    for (const p of [ann, bob]) {
      const media = p.page.getByTestId("livekit-unreachable").or(p.page.getByText("Connected. Waiting for media…"));
      await media.waitFor();
    }
    const unreachable = ann.page.getByTestId("livekit-unreachable");
    if (await unreachable.isVisible()) await waitForText(unreachable, "livekit-server --dev");
    await bob.page.getByRole("button", { name: "Hang up" }).click(); // the call-end function
    for (const p of [ann, bob]) await waitForText(p.page.getByTestId("call-outcome"), "Call ended");
    for (const p of [ann, bob]) await p.page.getByRole("button", { name: "Close" }).click();
    await bob.page.getByRole("tab", { name: "Calls" }).click();
    await waitForText(bob.page.getByTestId("call-row"), /video · answered/);
  });
});

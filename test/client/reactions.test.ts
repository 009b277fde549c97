// Reactions, pins, edit history and delete-for-me through the SDK, live on the other side.
import { afterEach, describe, expect, it } from "vitest";
import type { LiveChannel, PinEvent, ReactionEvent } from "../../client/index.ts";
import { acquaint } from "../support/contacts.ts";
import { newParleyUser, refusal } from "./parley.ts";

const open: LiveChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

function firstOf<T>(): { promise: Promise<T>; handler: (value: T) => void } {
  let handler!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (handler = resolve));
  return { promise, handler };
}

describe("client SDK: reactions, pins, edit history, delete for me", () => {
  it("a reaction reaches the other side live with the new counts, and a history page carries counts and mine", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const sent = await ann.parley.messages.send(conversation.id, { body: "lunch?" });
    const added = firstOf<ReactionEvent>();
    open.push(await ann.parley.live.conversation(conversation.id, { reaction_added: added.handler }));

    const state = await bob.parley.reactions.add(sent.id, "👍");
    expect(state).toEqual({ message_id: sent.id, reactions: { "👍": 1 }, mine: ["👍"] });
    expect(await added.promise).toMatchObject({
      message_id: sent.id,
      user_id: bob.id,
      emoji: "👍",
      reactions: { "👍": 1 },
    });

    await ann.parley.reactions.add(sent.id, "🎉");
    const page = await bob.parley.messages.list(conversation.id);
    const row = page.items.find((m) => m.id === sent.id)!;
    expect(row.reactions).toEqual({ "👍": 1, "🎉": 1 });
    expect((await bob.parley.reactions.mine(page.items)).get(sent.id)).toEqual(["👍"]);
    expect((await refusal(bob.parley.reactions.add(sent.id, "not an emoji"))).code).toBe("invalid_emoji");
  });

  it("pins are for a group's owner and admins, heard live, and listed with their messages", async () => {
    const [owner, member] = await Promise.all([newParleyUser(), newParleyUser()]);
    await acquaint(owner, [member]);
    const group = await owner.parley.groups.create({ title: "Pins", memberIds: [member.id] });
    const rules = await owner.parley.messages.send(group.id, { body: "house rules" });
    expect((await refusal(member.parley.pins.pin(rules.id))).code).toBe("insufficient_role");

    const pinned = firstOf<PinEvent>();
    open.push(await member.parley.live.conversation(group.id, { message_pinned: pinned.handler }));
    await owner.parley.pins.pin(rules.id);
    expect(await pinned.promise).toMatchObject({ message_id: rules.id, pinned_by: owner.id });
    const pins = await member.parley.pins.list(group.id);
    expect(pins.map((p) => [p.pinned_by, p.message.body])).toEqual([[owner.id, "house rules"]]);
  });

  it("edits keep the earlier versions readable; hiding a message removes it from my history only", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const sent = await ann.parley.messages.send(conversation.id, { body: "meet at 5" });
    await ann.parley.messages.edit(sent.id, "meet at 6");
    const edits = await bob.parley.messages.edits(sent.id);
    expect(edits.map((e) => [e.version, e.body])).toEqual([[1, "meet at 5"]]);

    await bob.parley.messages.hide(sent.id);
    expect((await bob.parley.messages.list(conversation.id)).items.map((m) => m.id)).not.toContain(sent.id);
    expect((await ann.parley.messages.list(conversation.id)).items.map((m) => m.id)).toContain(sent.id);
    await bob.parley.messages.unhide(sent.id);
    expect((await bob.parley.messages.list(conversation.id)).items.map((m) => m.id)).toContain(sent.id);
  });
});

describe("client SDK: mentions and forwarding", () => {
  it("a mention counts in the mentioned member's inbox even when muted, and reading clears it", async () => {
    const [owner, bob, cat] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    await acquaint(owner, [bob, cat]);
    const group = await owner.parley.groups.create({ title: "Mentions", memberIds: [bob.id, cat.id] });
    await bob.parley.conversations.mute(group.id, new Date(Date.now() + 86_400_000));
    await owner.parley.messages.send(group.id, { body: "@bob can you look?", mentions: [bob.id] });
    await owner.parley.messages.send(group.id, { body: "@everyone release at 5", mentions: ["everyone"] });
    const entry = async (u: typeof bob) =>
      (await u.parley.conversations.inbox()).items.find((c) => c.conversation_id === group.id)!;
    expect((await entry(bob)).mention_count).toBe(2);
    expect((await entry(cat)).mention_count).toBe(1);
    expect(
      (await refusal(cat.parley.messages.send(group.id, { body: "@everyone", mentions: ["everyone"] }))).code,
    ).toBe("mention_everyone_not_allowed");
    await bob.parley.messages.markRead(group.id);
    expect((await entry(bob)).mention_count).toBe(0);
  });

  it("a forwarded image is the same file, downloadable by the target's members who cannot see the source", async () => {
    const [ann, bob, dan] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    await acquaint(ann, [bob]);
    const group = await ann.parley.groups.create({ title: "Photos", memberIds: [bob.id] });
    const png = Uint8Array.from(
      Buffer.from(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
        "base64",
      ),
    );
    const photo = await ann.parley.attachments.send(group.id, "image", {
      data: png,
      contentType: "image/png",
      name: "dot.png",
    });
    const withDan = await bob.parley.conversations.direct(dan.id);
    const forwarded = await bob.parley.messages.forward(photo.id, withDan.id);
    expect(forwarded).toMatchObject({
      conversation_id: withDan.id,
      sender_id: bob.id,
      kind: "image",
      attachment: { path: photo.attachment!.path },
    });
    expect(forwarded.metadata).toMatchObject({ forwarded_from: { message_id: photo.id, sender_id: ann.id } });
    const bytes = new Uint8Array(await (await dan.parley.attachments.download(forwarded.attachment!)).arrayBuffer());
    expect(bytes).toEqual(png);
  });
});

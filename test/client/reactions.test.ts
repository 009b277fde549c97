// Reactions, pins, edit history and delete-for-me through the SDK, live on the other side.
import { afterEach, describe, expect, it } from "vitest";
import type { LiveChannel, PinEvent, ReactionEvent } from "../../client/index.ts";
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
    expect(await added.promise).toMatchObject({ message_id: sent.id, user_id: bob.id, emoji: "👍", reactions: { "👍": 1 } });

    await ann.parley.reactions.add(sent.id, "🎉");
    const page = await bob.parley.messages.list(conversation.id);
    const row = page.items.find((m) => m.id === sent.id)!;
    expect(row.reactions).toEqual({ "👍": 1, "🎉": 1 });
    expect((await bob.parley.reactions.mine(page.items)).get(sent.id)).toEqual(["👍"]);
    expect((await refusal(bob.parley.reactions.add(sent.id, "not an emoji"))).code).toBe("invalid_emoji");
  });

  it("pins are for a group's owner and admins, heard live, and listed with their messages", async () => {
    const [owner, member] = await Promise.all([newParleyUser(), newParleyUser()]);
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

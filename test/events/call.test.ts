// call:<id> with the official client: participants join, track presence and hear the call events;
// others are refused, and nobody can broadcast on a call topic (docs/realtime-events.md, docs/calls.md).
import { describe, expect, it } from "vitest";
import { byEvent, listen, live, rpc, trySubscribe, user } from "./support.ts";
import { acquaint } from "../support/contacts.ts";

type Row = { id: string };

describe("call:<id> channels", () => {
  it("lets participants join and see each other's presence, refuses others and client broadcasts", async () => {
    const [a, b, stranger] = [await user(), await user(), await user()];
    const dm = await rpc<Row>(a, "get_or_create_direct_conversation", { other_user_id: b.id });
    const call = await rpc<Row>(a, "start_call", { conversation_id: dm.id, media: "audio" });
    const name = `call:${call.id}`;

    const refused = await trySubscribe(listen(stranger, name).channel);
    expect(refused.error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`,
    );

    const alice = await live(a, name, { presence: { key: a.id }, broadcast: { ack: true } });
    const bob = await live(b, name, { presence: { key: b.id } });
    expect(await bob.channel.track({ user_id: b.id })).toBe("ok");
    await expect.poll(() => Object.keys(alice.channel.presenceState())).toContain(b.id);

    await rpc(b, "accept_call", { call_id: call.id });
    expect((await alice.events.next(byEvent("participant_joined"))).payload).toMatchObject({
      participant: { user_id: b.id, state: "joined" },
    });

    // Call events cannot be forged: the write policy refuses broadcasts on call topics, unacknowledged.
    expect(
      await alice.channel.send(
        { type: "broadcast", event: "call_ended", payload: { forged: true } },
        { timeout: 1500 },
      ),
    ).toBe("timed out");
  });

  it("refuses the call topic to a participant removed from the group", async () => {
    const [owner, rita, ben] = [await user(), await user(), await user()];
    await acquaint(owner, [rita, ben]);
    const group = await rpc<Row>(owner, "create_group", { title: "Topic removal", member_ids: [rita.id, ben.id] });
    const call = await rpc<Row>(owner, "start_call", { conversation_id: group.id, media: "audio" });
    const name = `call:${call.id}`;
    await rpc(rita, "accept_call", { call_id: call.id });
    const first = listen(rita, name).channel;
    expect((await trySubscribe(first)).status).toBe("SUBSCRIBED");
    await rita.client.removeChannel(first);

    const watching = await live(owner, name);
    await rpc(owner, "remove_member", { group_id: group.id, user_id: rita.id });
    expect((await watching.events.next(byEvent("participant_left"))).payload).toMatchObject({
      participant: { user_id: rita.id, state: "left" },
    });
    const after = await trySubscribe(listen(rita, name).channel);
    expect(after.error?.message).toBe(
      `Unauthorized: You do not have permissions to read from this Channel topic: ${name}`,
    );
  });
});

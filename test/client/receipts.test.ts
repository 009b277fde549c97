// Delivery and read receipts through the SDK: the live inbox acknowledges arrivals by itself, senders
// see the ticks move live (direct) or as counts (groups), and a member can keep their reading private.
import { afterEach, describe, expect, it } from "vitest";
import {
  createParley,
  receiptStatus,
  type LiveChannel,
  type MemberDeliveredEvent,
  type MemberReadEvent,
} from "../../client/index.ts";
import { anotherDevice } from "../support/clients.ts";
import { acquaint } from "../support/contacts.ts";
import { newParleyUser } from "./parley.ts";

const open: LiveChannel[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});

/** Resolves with the first event `accept` takes. */
function waitFor<T>(accept: (value: T) => boolean = () => true): { promise: Promise<T>; handler: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, handler: (value) => accept(value) && resolve(value) };
}

describe("client SDK: delivery and read receipts", () => {
  it("a direct message goes sent → delivered (the recipient's inbox acknowledges it) → read, live for the sender", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const delivered = waitFor<MemberDeliveredEvent>();
    const read = waitFor<MemberReadEvent>();
    open.push(
      await ann.parley.live.conversation(conversation.id, {
        member_delivered: delivered.handler,
        member_read: read.handler,
      }),
    );
    open.push(await bob.parley.live.inbox());

    const sent = await ann.parley.messages.send(conversation.id, { body: "did you get this?" });
    expect(await delivered.promise).toMatchObject({
      conversation_id: conversation.id,
      user_id: bob.id,
      last_delivered_seq: sent.seq,
    });
    const receipts = await ann.parley.receipts.list(conversation.id);
    expect(receiptStatus(sent, receipts)).toBe("delivered");

    await bob.parley.messages.markRead(conversation.id);
    expect(await read.promise).toMatchObject({
      user_id: bob.id,
      last_read_seq: sent.seq,
      last_delivered_seq: sent.seq,
      message_id: sent.id,
    });
    expect(receiptStatus(sent, await ann.parley.receipts.list(conversation.id))).toBe("read");
    expect(await ann.parley.receipts.forMessage(sent.id)).toMatchObject({
      status: "read",
      recipient_count: 1,
      delivered_count: 1,
      read_count: 1,
    });
  });

  it("with deliveryReceipts off a device acknowledges nothing (another device of the same user still does)", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    const deliveries: MemberDeliveredEvent[] = [];
    const second = waitFor<MemberDeliveredEvent>((e) => e.last_delivered_seq === 2);
    open.push(
      await ann.parley.live.conversation(conversation.id, {
        member_delivered: (e) => {
          deliveries.push(e);
          second.handler(e);
        },
      }),
    );
    const quiet = createParley(bob.client, { deliveryReceipts: false });
    const arrived = waitFor<{ message: { seq: number } }>();
    open.push(await quiet.live.inbox({ message_created: arrived.handler }));
    await ann.parley.messages.send(conversation.id, { body: "one" });
    await arrived.promise;

    // Bob's second device (its own client, delivery receipts on) opens only now: its acknowledgement of
    // message 2 comes after any the quiet device would have sent for message 1.
    open.push(await createParley(await anotherDevice(bob)).live.inbox());
    await ann.parley.messages.send(conversation.id, { body: "two" });
    await second.promise;
    expect(deliveries.map((e) => e.last_delivered_seq)).toEqual([2]);
  });

  it("a group message counts its recipients' deliveries and reads; nobody gets an event per delivery", async () => {
    const [owner, bob, cat] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    await acquaint(owner, [bob, cat]);
    const group = await owner.parley.groups.create({ title: "Ticks", memberIds: [bob.id, cat.id] });
    open.push(await bob.parley.live.inbox(), await cat.parley.live.inbox());
    const sent = await owner.parley.messages.send(group.id, { body: "all here?" });
    await expect
      .poll(async () => (await owner.parley.receipts.forMessage(sent.id)).delivered_count, { timeout: 15_000 })
      .toBe(2);
    await cat.parley.messages.markRead(group.id);
    expect(await owner.parley.receipts.forMessage(sent.id)).toMatchObject({
      recipient_count: 2,
      delivered_count: 2,
      read_count: 1,
      status: "delivered",
    });
    await bob.parley.messages.markRead(group.id);
    expect((await owner.parley.receipts.forMessage(sent.id)).status).toBe("read");
  });

  it("a member who hides read receipts shows only deliveries; their own devices still know how far they read", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    await bob.parley.receipts.hideReadReceipts(true);
    expect(await bob.parley.receipts.readReceiptsHidden()).toBe(true);
    expect(await ann.parley.receipts.readReceiptsHidden()).toBe(false);

    const heard: string[] = [];
    const sentinel = waitFor<{ message: { body: string | null } }>((e) => e.message.body === "sentinel");
    const delivered = waitFor<MemberDeliveredEvent>();
    open.push(
      await ann.parley.live.conversation(conversation.id, {
        member_read: () => heard.push("member_read"),
        member_delivered: (e) => {
          heard.push("member_delivered");
          delivered.handler(e);
        },
        message_created: sentinel.handler,
      }),
    );
    const sent = await ann.parley.messages.send(conversation.id, { body: "secret reading" });
    await bob.parley.messages.markRead(conversation.id);
    expect(await delivered.promise).toMatchObject({ user_id: bob.id, last_delivered_seq: sent.seq });
    await ann.parley.messages.send(conversation.id, { body: "sentinel" });
    await sentinel.promise;
    expect(heard).toEqual(["member_delivered"]);

    const receipts = await ann.parley.receipts.list(conversation.id);
    expect(receipts.find((r) => r.user_id === bob.id)).toMatchObject({
      last_delivered_seq: sent.seq,
      last_read_seq: null,
    });
    expect(receiptStatus(sent, receipts)).toBe("delivered");
    const own = await bob.parley.receipts.list(conversation.id);
    expect(own.find((r) => r.user_id === bob.id)?.last_read_seq).toBe(sent.seq);

    await bob.parley.receipts.hideReadReceipts(false);
    expect(receiptStatus(sent, await ann.parley.receipts.list(conversation.id))).toBe("read");
  });

  it("co-members cannot read each other's cursors, mute or hide from the table, only who is there", async () => {
    const [ann, bob] = await Promise.all([newParleyUser(), newParleyUser()]);
    const conversation = await ann.parley.conversations.direct(bob.id);
    await ann.parley.conversations.mute(conversation.id, new Date(Date.now() + 3_600_000));
    const leak = await bob.parley.db
      .from("conversation_members")
      .select("user_id, muted_until")
      .eq("conversation_id", conversation.id);
    expect(leak.error?.code).toBe("42501");
    const members = await bob.parley.db
      .from("conversation_members")
      .select("user_id, role")
      .eq("conversation_id", conversation.id);
    expect(members.error).toBeNull();
    expect(members.data?.map((m) => m.user_id).sort()).toEqual([ann.id, bob.id].sort());
    // My own settings reach me through the inbox.
    const inbox = await ann.parley.conversations.inbox();
    expect(inbox.items.find((c) => c.conversation_id === conversation.id)?.muted_until).not.toBeNull();
  });
});

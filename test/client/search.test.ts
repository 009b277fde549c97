// Search through the SDK: words, substrings and filters over what I may read, never what I may not.
import { describe, expect, it } from "vitest";
import { acquaint } from "../support/contacts.ts";
import { newParleyUser, refusal } from "./parley.ts";

describe("client SDK: search", () => {
  it("finds my messages by word or part of a word, with a marked snippet; a stranger finds none of them", async () => {
    const [ann, bob, stranger] = await Promise.all([newParleyUser(), newParleyUser(), newParleyUser()]);
    await acquaint(ann, [bob]);
    const tag = `zq${Date.now().toString(36)}`;
    const group = await ann.parley.groups.create({ title: `Search ${tag}`, memberIds: [bob.id] });
    const first = await ann.parley.messages.send(group.id, {
      body: `the ${tag}alpha plan is at https://example.com/${tag}`,
    });
    const second = await bob.parley.messages.send(group.id, { body: `${tag}alpha again` });

    const byWord = await ann.parley.search.messages(`${tag}alpha`);
    expect(byWord.items.map((m) => m.id)).toEqual([second.id, first.id]);
    expect(byWord.items[1]!.snippet).toContain(`<mark>${tag}alpha</mark>`);
    const partial = await bob.parley.search.messages(`example.com/${tag}`);
    expect(partial.items.map((m) => m.id)).toEqual([first.id]);
    const fromBob = await ann.parley.search.messages(`${tag}alpha`, { fromUserId: bob.id });
    expect(fromBob.items.map((m) => m.id)).toEqual([second.id]);
    const paged = await ann.parley.search.messages(`${tag}alpha`, { limit: 1 });
    expect(
      (await ann.parley.search.messages(`${tag}alpha`, { limit: 1, cursor: paged.next })).items.map((m) => m.id),
    ).toEqual([first.id]);

    expect((await stranger.parley.search.messages(`${tag}alpha`)).items).toEqual([]);
    expect((await ann.parley.search.conversations(tag)).map((c) => c.conversation_id)).toEqual([group.id]);
    expect(await stranger.parley.search.conversations(tag)).toEqual([]);
    expect((await refusal(ann.parley.search.messages("x"))).code).toBe("query_invalid");
  });
});

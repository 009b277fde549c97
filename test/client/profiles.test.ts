// The SDK's profiles: finding people by the start of their username, through PostgREST and RLS.
import { describe, expect, it } from "vitest";
import { newParleyUser, refusal } from "./parley.ts";

describe("client SDK: profiles", () => {
  it("finds people by the start of their username, ignoring case, to start a conversation with them", async () => {
    const [ann, bob] = await Promise.all([newParleyUser("Ann"), newParleyUser("Bob")]);
    const found = await ann.parley.profiles.search(bob.username.slice(0, -2).toUpperCase());
    expect(found.map((p) => p.id)).toContain(bob.id);
    expect(found.find((p) => p.id === bob.id)).toMatchObject({ username: bob.username, display_name: "Bob" });

    const exact = await ann.parley.profiles.search(bob.username, 1);
    expect(exact).toEqual([expect.objectContaining({ id: bob.id })]);
    const conversation = await ann.parley.conversations.direct(exact[0]!.id);
    expect(conversation.kind).toBe("direct");
  });

  it("refuses a prefix no username could start with", async () => {
    const ann = await newParleyUser();
    const refused = await refusal(ann.parley.profiles.search("a%"));
    expect(refused).toMatchObject({ code: "prefix_invalid", status: 400 });
  });
});

// createParley on every kind of supabase-js client: plain createClient(url, key) (default schema public, the
// other fixtures' clients), createClient<Database>(url, key), and one made with { db: { schema: "parley" } }.
// The SDK addresses schema parley itself; Storage and Auth stay on the client.
import { createClient, type SupabaseClientOptions } from "@supabase/supabase-js";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createParley, type Database } from "../../client/index.ts";
import { newUser } from "../support/clients.ts";
import { stackEnv } from "../support/env.ts";
import { newParleyUser } from "./parley.ts";

const options = {
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  realtime: { transport: WebSocket as unknown as typeof globalThis.WebSocket },
} satisfies SupabaseClientOptions<"parley">;

/** A brand-new user signed in on a client made by `make`. */
async function signedIn<
  C extends { auth: { signInWithPassword(c: { email: string; password: string }): Promise<{ error: unknown }> } },
>(make: () => C) {
  const user = await newUser();
  const client = make();
  const { error } = await client.auth.signInWithPassword({ email: user.email, password: user.password });
  if (error) throw error;
  return { id: user.id, client };
}

describe("client SDK: the client it runs on", () => {
  it("works on a typed client whose default schema is parley", async () => {
    const bob = await newParleyUser();
    const ann = await signedIn(() =>
      createClient<Database>(stackEnv.url, stackEnv.anonKey, { ...options, db: { schema: "parley" } }),
    );
    const parley = createParley(ann.client);
    const sent = await parley.messages.sendDirect(bob.id, { body: "from a parley-schema client" });
    expect((await bob.parley.messages.list(sent.conversation_id)).items.map((m) => m.id)).toEqual([sent.id]);
    // The client's own queries go to parley too, typed by Database.
    const { data, error } = await ann.client.from("messages").select("id, body").eq("id", sent.id).single();
    expect(error).toBeNull();
    expect(data).toEqual({ id: sent.id, body: "from a parley-schema client" });
    // Storage stays on the root client.
    const file = await parley.attachments.send(sent.conversation_id, "file", {
      data: new TextEncoder().encode("notes"),
      contentType: "text/plain",
      name: "notes.txt",
    });
    expect(file.attachment).toMatchObject({ bucket: "parley-attachments", size: 5, mime_type: "text/plain" });
  });

  it("works on createClient<Database>(url, key) with the default schema", async () => {
    const bob = await newParleyUser();
    const ann = await signedIn(() => createClient<Database>(stackEnv.url, stackEnv.anonKey, options));
    const parley = createParley(ann.client);
    const group = await parley.groups.create({ title: "Schema check", memberIds: [bob.id] });
    // Strangers: bob is invited, and joins from his invitations.
    const [invitation] = await bob.parley.safety.invitations();
    await bob.parley.safety.accept(invitation!.id);
    expect((await bob.parley.conversations.inbox()).items.map((e) => e.conversation_id)).toEqual([group.id]);
    expect(
      (await parley.db.from("conversation_members").select("user_id").eq("conversation_id", group.id)).data,
    ).toHaveLength(2);
  });
});

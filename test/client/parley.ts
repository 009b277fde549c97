// Test fixture: fresh signed-up users, each with the Parley SDK on their own official client.
import { createParley, ParleyError, type Parley } from "../../client/index.ts";
import { newUser, type TestUser } from "../support/clients.ts";

export interface ParleyUser extends TestUser {
  parley: Parley;
}

/** Signs up a new user and wraps their supabase-js client with the SDK. */
export async function newParleyUser(
  displayName?: string,
  options: Parameters<typeof newUser>[0] = {},
): Promise<ParleyUser> {
  const user = await newUser({ ...options, ...(displayName ? { displayName } : {}) });
  // The fixture's client is a plain createClient(url, key) (default schema public): the SDK addresses schema parley itself.
  return { ...user, parley: createParley(user.client) };
}

/** Asserts a promise rejects with a ParleyError carrying `code`, and returns it for more checks. */
export async function refusal(promise: Promise<unknown>): Promise<ParleyError> {
  try {
    await promise;
  } catch (e) {
    if (!(e instanceof ParleyError)) throw e;
    return e;
  }
  throw new Error("expected the call to be refused, but it succeeded");
}

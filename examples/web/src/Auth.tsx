// Sign up / sign in with email and password (Supabase Auth). Parley makes the profile from the sign-up metadata.
import { useState, type FormEvent } from "react";
import { supabase } from "./parley.ts";
import { ErrorNote } from "./ui.tsx";

export function Auth() {
  const [mode, setMode] = useState<"sign-in" | "sign-up">("sign-in");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const [notice, setNotice] = useState<string | undefined>(undefined);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setNotice(undefined);
    try {
      if (mode === "sign-up") {
        const { data, error } = await supabase.auth.signUp({
          email,
          password,
          options: { data: { username, display_name: displayName || username } },
        });
        if (error) throw error;
        // Projects with email confirmation on return no session: say so instead of pretending.
        if (!data.session) setNotice("Check your email to confirm the address, then sign in.");
      } else {
        const { error } = await supabase.auth.signInWithPassword({ email, password });
        if (error) throw error;
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="auth">
      <form className="card" onSubmit={submit} aria-label={mode === "sign-up" ? "Sign up" : "Sign in"}>
        <h1>Parley</h1>
        <div className="tabs" role="tablist">
          <button type="button" role="tab" aria-selected={mode === "sign-in"} onClick={() => setMode("sign-in")}>
            Sign in
          </button>
          <button type="button" role="tab" aria-selected={mode === "sign-up"} onClick={() => setMode("sign-up")}>
            Create account
          </button>
        </div>
        <label>
          Email
          <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input
            type="password"
            autoComplete={mode === "sign-up" ? "new-password" : "current-password"}
            required
            minLength={6}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {mode === "sign-up" ? (
          <>
            <label>
              Username
              <input
                required
                pattern="[A-Za-z0-9_.]{3,32}"
                title="3–32 letters, digits, _ or ."
                value={username}
                onChange={(e) => setUsername(e.target.value)}
              />
            </label>
            <label>
              Display name
              <input
                maxLength={64}
                value={displayName}
                onChange={(e) => setDisplayName(e.target.value)}
                placeholder={username || "optional"}
              />
            </label>
          </>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Please wait…" : mode === "sign-up" ? "Sign up" : "Sign in"}
        </button>
        <ErrorNote error={error} />
        {notice ? <p className="state">{notice}</p> : null}
      </form>
    </main>
  );
}

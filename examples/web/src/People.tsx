// Search people by username (search_profiles) and pick one: for a new chat, a new group, adding members.
import { useEffect, useState } from "react";
import type { ProfileMatch } from "../../../client/index.ts";
import { parley } from "./parley.ts";
import { Avatar, Empty, ErrorNote, Loading, nameOf } from "./ui.tsx";

export function PeoplePicker({
  me,
  exclude = [],
  onPick,
  actionLabel,
}: {
  me: string;
  exclude?: string[];
  onPick: (p: ProfileMatch) => void;
  actionLabel: string;
}) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<ProfileMatch[] | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    const prefix = query.trim();
    if (!prefix) return void (setResults(undefined), setError(undefined));
    let live = true;
    setLoading(true);
    // A short pause so each keystroke does not become a request.
    const timer = setTimeout(() => {
      parley.profiles.search(prefix, 10).then(
        (r) => live && (setResults(r), setError(undefined), setLoading(false)),
        (e: unknown) => live && (setError(e), setLoading(false)),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [query]);
  const shown = (results ?? []).filter((p) => p.id !== me && !exclude.includes(p.id));
  return (
    <div className="picker">
      <input
        type="search"
        aria-label="Search people"
        placeholder="Search by username"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        autoFocus
      />
      {loading ? <Loading label="Searching…" /> : null}
      <ErrorNote error={error} />
      {!loading && results && shown.length === 0 ? (
        <Empty>Nobody with a username starting “{query.trim()}”.</Empty>
      ) : null}
      <ul className="people">
        {shown.map((p) => (
          <li key={p.id}>
            <Avatar name={nameOf(p)} />
            <span className="grow">
              {nameOf(p)} <span className="muted">@{p.username}</span>
            </span>
            <button type="button" onClick={() => onPick(p)} aria-label={`${actionLabel} ${p.username}`}>
              {actionLabel}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

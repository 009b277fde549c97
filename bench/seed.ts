// Seeds a bench run's data with set-based SQL as the superuser, and removes it afterwards.
//
// Shapes (every size is a flag):
// - a pool of ordinary users, each in a handful of conversations;
// - "large": a user in `inboxLarge` conversations (80 % direct, 20 % small groups);
// - "small": a user in `inboxSmall` conversations, one of them the history group (so is "large");
// - "history": a group whose history holds `historyMessages` messages (the 1,000,000-row table);
// - "unread"/"read": two users in the same `unreadConversations` groups, one with every message
//   unread, the other with none;
// - one conversation per send connection (alternately direct and a 10-member group);
// - "grower": one sender in a direct conversation and in groups of `GROWTH_SIZES` members (the
//   send_growth stage; the largest is above group_max_members, which the API would refuse: it shows
//   what bounds a send's cost, not a size Parley lets a group reach);
// - "realtime": a group of `realtimeClients` members, the first of them the sender, every one a listener.
// Users are real auth.users rows (the profile trigger runs); everything after them is inserted with
// session_replication_role = replica, so per-row triggers (inbox, realtime events) do not fire for
// seeded history — the seed writes the finished state those triggers would have produced.
import { randomBytes } from "node:crypto";
import type pg from "pg";

export interface SeedSizes {
  historyMessages: number;
  inboxLarge: number;
  inboxSmall: number;
  /** Messages in each inbox conversation. */
  messagesPerConversation: number;
  unreadConversations: number;
  /** Messages in each unread-stage conversation (all unread for one user). */
  unreadMessages: number;
  sendConnections: number;
  realtimeClients: number;
  /** Seed the send_growth conversations (groups of up to 1,000 members). */
  growth: boolean;
}

/** Group sizes of the send_growth stage, besides its direct conversation. */
export const GROWTH_SIZES = [100, 1000] as const;

export interface Seeded {
  /** Schema holding this run's bookkeeping (users, conversations, the raw-insert table). */
  schema: string;
  run: string;
  users: {
    large: string;
    small: string;
    unread: string;
    read: string;
    senders: string[];
    realtimeSender: string;
    /** Every member of the realtime group, the sender first: each one listens. */
    realtimeReceivers: string[];
    /** The send_growth sender (a member of every growth conversation). */
    grower: string;
  };
  conversations: {
    history: string;
    send: string[];
    realtime: string;
    unread: string[];
    /** send_growth: a direct conversation, then one group per GROWTH_SIZES entry (empty when not seeded). */
    growth: { direct?: string; groups: { size: number; id: string }[] };
  };
}

const GROUP_SIZE = 10;

/** Creates users, conversations, members and messages; returns the ids the stages use. */
export async function seed(db: pg.Client, sizes: SeedSizes, progress: (line: string) => void): Promise<Seeded> {
  const run = randomBytes(3).toString("hex");
  const s = `bench_${run}`;
  const largeDirect = Math.round(sizes.inboxLarge * 0.8);
  const largeGroups = Math.max(0, sizes.inboxLarge - largeDirect - 1); // the history group is one of them
  const smallDirect = Math.round(sizes.inboxSmall * 0.8);
  const smallGroups = Math.max(0, sizes.inboxSmall - smallDirect - 1); // the history group is one of them
  const growthMax = sizes.growth ? Math.max(...GROWTH_SIZES) : 0;
  const pool = Math.max(
    largeDirect,
    smallDirect,
    sizes.realtimeClients + 1,
    GROUP_SIZE * 2,
    100 + sizes.sendConnections,
    growthMax + 1,
  );
  const t0 = performance.now();

  await db.query(`create schema ${s}`);
  await db.query(`comment on schema ${s} is 'npm run bench: bookkeeping of one run; dropped when the run ends.'`);
  await db.query(`create table ${s}.users (label text primary key, id uuid not null default gen_random_uuid())`);
  await db.query(`create table ${s}.pool (n int primary key, id uuid not null)`);
  await db.query(`
    create table ${s}.convs (
      id uuid primary key default gen_random_uuid(),
      purpose text not null,
      kind text not null,
      members uuid[] not null,
      n_msgs int not null,
      last_at timestamptz not null,
      unread_for uuid
    )`);

  // Users: named actors, senders, and the pool.
  const labels = [
    "large",
    "small",
    "unread",
    "read",
    "grower",
    ...Array.from({ length: sizes.sendConnections }, (_, i) => `sender${i}`),
  ];
  await db.query(`insert into ${s}.users (label) select unnest($1::text[])`, [labels]);
  await db.query(`insert into ${s}.users (label) select 'p' || n from generate_series(1, $1::int) n`, [pool]);
  await db.query(
    `insert into ${s}.pool (n, id) select substr(label, 2)::int, id from ${s}.users where label ~ '^p[0-9]+$'`,
  );
  await db.query(
    `insert into auth.users (instance_id, id, aud, role, email, encrypted_password, email_confirmed_at,
                             raw_app_meta_data, raw_user_meta_data, created_at, updated_at)
     select '00000000-0000-0000-0000-000000000000', u.id, 'authenticated', 'authenticated',
            'bench-' || $1 || '-' || u.label || '@bench.invalid', '', now(),
            '{"provider": "email", "providers": ["email"]}'::jsonb,
            jsonb_build_object('username', 'b' || $1 || '_' || u.label, 'display_name', 'Bench ' || u.label),
            now(), now()
       from ${s}.users u`,
    [run],
  );
  // Every bench user is exempt from the rate limits: the stages send far faster than a person (the send
  // stage switches its senders' send_message limit on and off to measure what the check costs).
  await db.query(
    `insert into parley.rate_limit_overrides (user_id, bucket, exempt)
     select u.id, r.bucket, true from ${s}.users u cross join parley.rate_limit_rules r`,
  );
  progress(`seed: ${labels.length + pool} users (${ms(t0)})`);

  const id = async (label: string): Promise<string> =>
    (await db.query<{ id: string }>(`select id from ${s}.users where label = $1`, [label])).rows[0]!.id;
  const pick = (expr: string, count: number) =>
    `array(select p.id from ${s}.pool p where p.n in (select 1 + ((${expr} + k) % ${pool}) from generate_series(0, ${count - 1}) k))`;

  // Conversations, described in bookkeeping first, then written to the Parley tables in bulk.
  const c = `insert into ${s}.convs (purpose, kind, members, n_msgs, last_at, unread_for)`;
  const k = sizes.messagesPerConversation;
  const ago = `now() - interval '1 hour' - random() * interval '90 days'`;
  await db.query(`${c} select 'inbox_large', 'direct', array[u.id, p.id], ${k}, ${ago}, null
                   from ${s}.users u, ${s}.pool p where u.label = 'large' and p.n <= ${largeDirect}`);
  await db.query(`${c} select 'inbox_large', 'group', array[u.id] || ${pick("g * 3", 3)}, ${k}, ${ago}, null
                   from ${s}.users u, generate_series(1, ${largeGroups}) g where u.label = 'large'`);
  await db.query(`${c} select 'inbox_small', 'direct', array[u.id, p.id], ${k}, ${ago}, null
                   from ${s}.users u, ${s}.pool p where u.label = 'small' and p.n <= ${smallDirect}`);
  await db.query(`${c} select 'inbox_small', 'group', array[u.id] || ${pick("g * 5", 4)}, ${k}, ${ago}, null
                   from ${s}.users u, generate_series(1, ${smallGroups}) g where u.label = 'small'`);
  // The history group: the small and the large user and eight others; its newest message is the newest of all.
  await db.query(
    `${c} select 'history', 'group', array[u.id, l.id] || ${pick("7", GROUP_SIZE - 2)}, $1, now() - interval '1 minute', null
                   from ${s}.users u, ${s}.users l where u.label = 'small' and l.label = 'large'`,
    [sizes.historyMessages],
  );
  await db.query(`${c} select 'unread', 'group', array[a.id, b.id] || ${pick("g * 2", 2)}, ${sizes.unreadMessages}, ${ago}, a.id
                   from ${s}.users a, ${s}.users b, generate_series(1, ${sizes.unreadConversations}) g
                  where a.label = 'unread' and b.label = 'read'`);
  for (let i = 0; i < sizes.sendConnections; i++) {
    const members =
      i % 2 === 0
        ? `array[u.id, (select id from ${s}.pool where n = ${100 + i})]`
        : `array[u.id] || ${pick(String(11 * i), GROUP_SIZE - 1)}`;
    await db.query(`${c} select 'send${i}', '${i % 2 === 0 ? "direct" : "group"}', ${members}, 0, now() - interval '2 hours', null
                     from ${s}.users u where u.label = 'sender${i}'`);
  }
  if (sizes.growth) {
    // The grower and pool users from the top of the pool down (apart from the send and realtime users).
    const others = (count: number) => `array(select id from ${s}.pool order by n desc limit ${count})`;
    await db.query(`${c} select 'growth_direct', 'direct', array[u.id] || ${others(1)}, 0, now() - interval '2 hours', null
                     from ${s}.users u where u.label = 'grower'`);
    for (const size of GROWTH_SIZES) {
      await db.query(`${c} select 'growth${size}', 'group', array[u.id] || ${others(size - 1)}, 0, now() - interval '2 hours', null
                       from ${s}.users u where u.label = 'grower'`);
    }
  }
  await db.query(
    `${c} select 'realtime', 'group', array(select id from ${s}.pool where n <= ${sizes.realtimeClients} order by n), 0, now() - interval '2 hours', null`,
  );

  // Bulk writes. Replica mode: no per-row triggers (nor FK checks: the rows above are consistent by construction).
  await db.query(`set session_replication_role = replica`);
  try {
    await db.query(`
      insert into parley.conversations (id, kind, direct_key, title, created_by, created_at, updated_at, last_seq, last_message_at)
      select c.id, c.kind,
             case when c.kind = 'direct' then least(c.members[1], c.members[2])::text || ':' || greatest(c.members[1], c.members[2])::text end,
             case when c.kind = 'group' then 'Bench ' || c.purpose || ' ' || left(c.id::text, 8) end,
             c.members[1], c.last_at - interval '100 days', c.last_at, c.n_msgs,
             case when c.n_msgs > 0 then c.last_at end
        from ${s}.convs c`);
    await db.query(`
      insert into parley.conversation_members (conversation_id, user_id, role, joined_at, last_read_seq, last_activity_at)
      select c.id, m.user_id, case when c.kind = 'group' and m.ord = 1 then 'owner' else 'member' end,
             c.last_at - interval '100 days', case when m.user_id = c.unread_for then 0 else c.n_msgs end, c.last_at
        from ${s}.convs c cross join lateral unnest(c.members) with ordinality as m(user_id, ord)`);
    const n = await db.query<{ n: string; m: string }>(
      `select count(*) as n, coalesce(sum(n_msgs), 0) as m from ${s}.convs`,
    );
    progress(
      `seed: ${n.rows[0]!.n} conversations; writing ${Number(n.rows[0]!.m).toLocaleString("en-US")} messages (${ms(t0)})`,
    );
    await db.query(`
      insert into parley.messages (conversation_id, seq, sender_id, kind, body, created_at)
      select c.id, g.seq, c.members[1 + (g.seq % cardinality(c.members))], 'text',
             'Seeded message ' || g.seq || ' of a bench conversation, about as long as a chat line.',
             c.last_at - (c.n_msgs - g.seq) * interval '1 second'
        from ${s}.convs c cross join lateral generate_series(1, c.n_msgs) as g(seq)`);
  } finally {
    await db.query(`set session_replication_role = origin`);
  }
  await db.query(`analyze parley.conversations, parley.conversation_members, parley.messages, parley.profiles`);
  progress(`seed: done, analyzed (${ms(t0)})`);

  const convOf = async (purpose: string): Promise<string[]> =>
    (await db.query<{ id: string }>(`select id from ${s}.convs where purpose = $1 order by id`, [purpose])).rows.map(
      (r) => r.id,
    );
  const rt = (await db.query<{ members: string[] }>(`select members from ${s}.convs where purpose = 'realtime'`))
    .rows[0]!.members;
  const senders: string[] = [];
  const sendConvs: string[] = [];
  for (let i = 0; i < sizes.sendConnections; i++) {
    senders.push(await id(`sender${i}`));
    sendConvs.push((await convOf(`send${i}`))[0]!);
  }
  return {
    schema: s,
    run,
    users: {
      large: await id("large"),
      small: await id("small"),
      unread: await id("unread"),
      read: await id("read"),
      senders,
      realtimeSender: rt[0]!,
      realtimeReceivers: rt,
      grower: await id("grower"),
    },
    conversations: {
      history: (await convOf("history"))[0]!,
      send: sendConvs,
      realtime: (await convOf("realtime"))[0]!,
      unread: await convOf("unread"),
      growth: {
        direct: (await convOf("growth_direct"))[0],
        groups: sizes.growth
          ? await Promise.all(GROWTH_SIZES.map(async (size) => ({ size, id: (await convOf(`growth${size}`))[0]! })))
          : [],
      },
    },
  };
}

/** Removes everything the run wrote (for an adopted stack; a started one is simply thrown away). */
export async function unseed(db: pg.Client, seeded: Seeded): Promise<void> {
  const s = seeded.schema;
  // Replica mode again: no per-row delete triggers (e.g. realtime events) for a million seeded rows;
  // every dependent row is deleted explicitly, children first.
  await db.query(`set session_replication_role = replica`);
  try {
    await db.query(`delete from realtime.messages where topic in (select 'conversation:' || id from ${s}.convs)
                       or topic in (select 'conversation:' || id || ':events' from ${s}.convs)
                       or topic in (select 'user:' || id from ${s}.users)
                       or topic like '${s}:%'`);
    await db.query(`delete from parley.messages where conversation_id in (select id from ${s}.convs)`);
    await db.query(`delete from parley.conversation_members where conversation_id in (select id from ${s}.convs)`);
    await db.query(`delete from parley.conversations where id in (select id from ${s}.convs)`);
    await db.query(`delete from parley.rate_limit_overrides where user_id in (select id from ${s}.users)`);
    await db.query(`delete from parley_internal.rate_limit_buckets where user_id in (select id from ${s}.users)`);
    await db.query(`delete from parley.profiles where id in (select id from ${s}.users)`);
    await db.query(`delete from auth.users where id in (select id from ${s}.users)`);
  } finally {
    await db.query(`set session_replication_role = origin`);
  }
  await db.query(`drop schema ${s} cascade`);
}

const ms = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(1)} s`;

// IAM / resource policy documents as CloudTrail records them. requestParameters
// carry them as a JSON string (policyDocument, assumeRolePolicyDocument,
// policyText, ...), as an already parsed object (S3 bucketPolicy), or
// URL-encoded (responseElements of CreateRole and some exports). parsePolicy
// accepts all three and normalises the statement shapes (single object or
// list; Principal "*", string or list per type; Action/Resource string or list).
import { accountOf, isOutsideAccount, list, obj, str } from './event.ts';

export type PrincipalKind = '*' | 'AWS' | 'Service' | 'Federated' | 'CanonicalUser';

export interface Principal {
  kind: PrincipalKind;
  value: string;
}

export interface PolicyStatement {
  sid: string | null;
  effect: 'Allow' | 'Deny';
  /** null: the statement has no Principal element (an identity policy). */
  principals: Principal[] | null;
  /** NotPrincipal was used: with Allow it grants everyone except those listed. */
  notPrincipal: boolean;
  actions: string[];
  notAction: boolean;
  resources: string[];
  /** Condition block as written: operator -> key -> value(s). */
  conditions: Record<string, Record<string, unknown>>;
}

export interface ParsedPolicy {
  statements: PolicyStatement[];
}

export type PolicyParse = { ok: true; policy: ParsedPolicy } | { ok: false; reason: string };

/** Parse a policy document from a CloudTrail field (object, JSON string, URL-encoded JSON string). */
export function parsePolicy(input: unknown): PolicyParse {
  let v: unknown = input;
  if (v === undefined || v === null || v === '') return { ok: false, reason: 'no policy document' };
  for (let depth = 0; depth < 3 && typeof v === 'string'; depth++) {
    const decoded = decodeJsonText(v);
    if (decoded === undefined) return { ok: false, reason: `policy document is not JSON (starts ${JSON.stringify(v.slice(0, 40))})` };
    v = decoded;
  }
  const doc = obj(v);
  if (!doc) return { ok: false, reason: 'policy document is not a JSON object' };
  const stRaw = doc.Statement ?? doc.statement;
  if (stRaw === undefined) return { ok: false, reason: 'policy document has no Statement' };
  const statements: PolicyStatement[] = [];
  for (const s of list(stRaw)) {
    const st = obj(s);
    if (!st) return { ok: false, reason: 'a Statement entry is not an object' };
    statements.push(normaliseStatement(st));
  }
  return { ok: true, policy: { statements } };
}

function decodeJsonText(s: string): unknown | undefined {
  const t = s.trim();
  const attempts = [t];
  if (t.includes('%')) {
    try { attempts.push(decodeURIComponent(t)); } catch { /* not URL-encoded */ }
    try { attempts.push(decodeURIComponent(t.replace(/\+/g, ' '))); } catch { /* not form-encoded */ }
  }
  for (const a of attempts) {
    try { return JSON.parse(a); } catch { /* try the next form */ }
  }
  return undefined;
}

function strings(v: unknown): string[] {
  return list(v).map((x) => str(x)).filter((x): x is string => x !== null);
}

function normaliseStatement(st: Record<string, any>): PolicyStatement {
  const effect = String(st.Effect ?? '').toLowerCase() === 'deny' ? 'Deny' : 'Allow';
  const pRaw = st.Principal ?? st.NotPrincipal;
  let principals: Principal[] | null = null;
  if (pRaw !== undefined) {
    principals = [];
    if (typeof pRaw === 'string') {
      principals.push(pRaw.trim() === '*' ? { kind: '*', value: '*' } : { kind: 'AWS', value: pRaw.trim() });
    } else {
      const po = obj(pRaw) ?? {};
      for (const [k, vals] of Object.entries(po)) {
        const kind: PrincipalKind = k === 'AWS' || k === 'Service' || k === 'Federated' || k === 'CanonicalUser' ? k : 'AWS';
        for (const val of strings(vals)) principals.push(kind === 'AWS' && val.trim() === '*' ? { kind: '*', value: '*' } : { kind, value: val.trim() });
      }
    }
  }
  const conditions: Record<string, Record<string, unknown>> = {};
  const c = obj(st.Condition);
  if (c) for (const [op, block] of Object.entries(c)) { const b = obj(block); if (b) conditions[op] = b; }
  return {
    sid: str(st.Sid),
    effect,
    principals,
    notPrincipal: st.NotPrincipal !== undefined && st.Principal === undefined,
    actions: strings(st.Action ?? st.NotAction),
    notAction: st.NotAction !== undefined && st.Action === undefined,
    resources: strings(st.Resource ?? st.NotResource),
    conditions,
  };
}

/**
 * Condition keys that tie a wildcard principal down to a known set of callers
 * or networks (the keys IAM Access Analyzer treats as limiting public access).
 * sts:ExternalId is deliberately absent: it is a shared string, not an
 * identity check, so a "*" trust with only an ExternalId is still open.
 */
export const RESTRICTING_CONDITION_KEYS = [
  'aws:principalorgid', 'aws:principalorgpaths', 'aws:principalaccount', 'aws:principalarn',
  'aws:sourceaccount', 'aws:sourcearn', 'aws:sourceowner', 'aws:sourceorgid', 'aws:sourceorgpaths',
  'aws:sourcevpc', 'aws:sourcevpce', 'aws:sourceip', 'aws:userid', 'aws:username',
  'kms:calleraccount', 'kms:viaservice',
];

/**
 * Restricting condition keys present in a statement. Negated operators
 * (StringNotEquals...), IfExists variants and the Null operator do not
 * restrict; neither does a value that is only "*" or a 0.0.0.0/0 / ::/0 range.
 */
export function restrictingConditionKeys(st: PolicyStatement): string[] {
  const out: string[] = [];
  for (const [op, block] of Object.entries(st.conditions)) {
    if (/not/i.test(op) || /ifexists$/i.test(op) || /^null$/i.test(op)) continue;
    for (const [key, val] of Object.entries(block)) {
      if (!RESTRICTING_CONDITION_KEYS.includes(key.toLowerCase())) continue;
      const vals = strings(val);
      if (vals.length === 0) continue;
      if (vals.every((v) => v === '*' || v === '0.0.0.0/0' || v === '::/0')) continue;
      out.push(key);
    }
  }
  return out;
}

export type GrantKind = 'public' | 'outside-account' | 'federated-unconditioned';

export interface Grant {
  kind: GrantKind;
  /** The principal as written ("*", "arn:aws:iam::193672423079:root", "accounts.google.com"). */
  principal: string;
  account: string | null;
  sid: string | null;
  actions: string[];
}

/**
 * Who outside the estate an Allow statement lets in:
 *  - public: Principal "*" / {"AWS":"*"} / Allow+NotPrincipal, with no restricting condition;
 *  - outside-account: an AWS principal whose account is not one of ownAccounts;
 *  - federated-unconditioned: a Federated principal (SAML/OIDC provider) with no condition at all,
 *    i.e. any identity of that provider (e.g. any GitHub repository for token.actions.githubusercontent.com).
 * Service principals are not grants to people and are not reported.
 */
export function externalGrants(policy: ParsedPolicy, ownAccounts: ReadonlySet<string>): Grant[] {
  const out: Grant[] = [];
  for (const st of policy.statements) {
    if (st.effect !== 'Allow' || st.principals === null) continue;
    const restricted = restrictingConditionKeys(st).length > 0;
    if (st.notPrincipal) {
      if (!restricted) out.push({ kind: 'public', principal: `NotPrincipal ${st.principals.map((p) => p.value).join(', ')}`, account: null, sid: st.sid, actions: st.actions });
      continue;
    }
    for (const p of st.principals) {
      if (p.kind === '*') {
        if (!restricted) out.push({ kind: 'public', principal: '*', account: null, sid: st.sid, actions: st.actions });
      } else if (p.kind === 'AWS') {
        const acct = accountOf(p.value);
        if (acct && isOutsideAccount(ownAccounts, acct)) out.push({ kind: 'outside-account', principal: p.value, account: acct, sid: st.sid, actions: st.actions });
      } else if (p.kind === 'Federated') {
        if (Object.keys(st.conditions).length === 0) out.push({ kind: 'federated-unconditioned', principal: p.value, account: accountOf(p.value), sid: st.sid, actions: st.actions });
      }
    }
  }
  return out;
}

export function describeGrant(g: Grant): string {
  if (g.kind === 'public') return g.principal === '*' ? 'anyone (Principal "*", no limiting condition)' : `everyone except the listed principals (${g.principal})`;
  if (g.kind === 'outside-account') return `${g.principal} (account ${g.account}, not one of the case's accounts)`;
  return `any identity of federated provider ${g.principal} (no condition)`;
}

/** AWS managed policies that give full administrative power (directly or by letting the holder grant it to itself). */
export const ADMIN_MANAGED_POLICY = /^arn:aws[\w-]*:iam::aws:policy\/(AdministratorAccess|IAMFullAccess)$/;

export type AdminLevel = 'admin' | 'iam-full';

/**
 * Does the policy grant administrator-equivalent power? "admin": an Allow of
 * action "*" (or "*:*") on resource "*"; "iam-full": "iam:*" on "*" (enough to
 * grant oneself anything). Deny statements and NotAction forms are ignored.
 */
export function adminLevel(policy: ParsedPolicy): AdminLevel | null {
  let level: AdminLevel | null = null;
  for (const st of policy.statements) {
    if (st.effect !== 'Allow' || st.notAction) continue;
    if (!st.resources.some((r) => r === '*')) continue;
    if (st.actions.some((a) => a === '*' || a === '*:*')) return 'admin';
    if (st.actions.some((a) => a.toLowerCase() === 'iam:*')) level = 'iam-full';
  }
  return level;
}

export function managedPolicyAdminLevel(arn: string): AdminLevel | null {
  const m = ADMIN_MANAGED_POLICY.exec(arn.trim());
  if (!m) return null;
  return m[1] === 'AdministratorAccess' ? 'admin' : 'iam-full';
}

/** Every statement denies: the document takes power away (e.g. AWSCompromisedKeyQuarantine-style inline policies). */
export function onlyDenies(policy: ParsedPolicy): boolean {
  return policy.statements.length > 0 && policy.statements.every((s) => s.effect === 'Deny');
}

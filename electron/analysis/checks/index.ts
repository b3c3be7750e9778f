// Built-in detection checks: public entry point. Importing this module
// registers every built-in check once; callers then use allChecks()/runChecks().
import { ACCESS_CHECKS } from './access.ts';
import { DATA_CHECKS } from './data.ts';
import { DEFENSE_EVASION_CHECKS } from './defense-evasion.ts';
import { PERSISTENCE_CHECKS } from './persistence.ts';
import { PRIVILEGE_ESCALATION_CHECKS } from './privilege-escalation.ts';
import { IDENTITY_CHECKS } from './identity.ts';
import { getCheck, registerCheck } from './registry.ts';
import type { Check } from './types.ts';

export const BUILTIN_CHECKS: readonly Check[] = [
  ...PERSISTENCE_CHECKS, ...PRIVILEGE_ESCALATION_CHECKS, ...DEFENSE_EVASION_CHECKS, ...DATA_CHECKS, ...ACCESS_CHECKS, ...IDENTITY_CHECKS,
];

for (const c of BUILTIN_CHECKS) if (getCheck(c.id) !== c) registerCheck(c);

export { allChecks, byTime, getCheck, matchesSelector, registerCheck, runChecks, selectorPredicates, validateCheck, type RunOptions, type SelectorPredicates } from './registry.ts';
export { buildCheckContext, TRAIL_CONTEXT_SELECTOR } from './context.ts';
export { findingId, toFinding, type FindingIdFn } from './finding.ts';
export { baseEventName } from './event.ts';
export type { Check, CheckContext, CheckSelector, FindingDraft } from './types.ts';

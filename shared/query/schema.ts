// The relational view examiners query (docs/queries.md): one table `events`, one row
// per event, with CloudTrail's own field names so Athena and CloudTrail Lake
// queries carry over. Shared by the derived-form builder (electron/query), the
// search-bar compiler and the UI's field completion, so all three agree on
// which paths are typed columns and which live inside JSON objects.

/** Bump when the derived table's columns or their derivation change: every derived form is then rebuilt. */
export const DERIVED_VERSION = 5;

/**
 * The typed part of each record, as DuckDB's json_transform structure. A value
 * of the wrong JSON type becomes NULL (an object where a string is expected
 * becomes its JSON text), so a hostile record can never stop the build.
 */
export const RECORD_STRUCTURE = {
  eventVersion: 'VARCHAR',
  eventSource: 'VARCHAR',
  eventName: 'VARCHAR',
  awsRegion: 'VARCHAR',
  sourceIPAddress: 'VARCHAR',
  userAgent: 'VARCHAR',
  userIdentity: {
    type: 'VARCHAR',
    principalId: 'VARCHAR',
    arn: 'VARCHAR',
    accountId: 'VARCHAR',
    accessKeyId: 'VARCHAR',
    userName: 'VARCHAR',
    invokedBy: 'VARCHAR',
    identityProvider: 'VARCHAR',
    credentialId: 'VARCHAR',
    onBehalfOf: { userId: 'VARCHAR', identityStoreArn: 'VARCHAR' },
    sessionContext: {
      sessionIssuer: { type: 'VARCHAR', principalId: 'VARCHAR', arn: 'VARCHAR', accountId: 'VARCHAR', userName: 'VARCHAR' },
      webIdFederationData: { federatedProvider: 'VARCHAR' },
      attributes: { creationDate: 'VARCHAR', mfaAuthenticated: 'VARCHAR' },
      sourceIdentity: 'VARCHAR',
      ec2RoleDelivery: 'VARCHAR',
    },
  },
  errorCode: 'VARCHAR',
  errorMessage: 'VARCHAR',
  readOnly: 'BOOLEAN',
  managementEvent: 'BOOLEAN',
  recipientAccountId: 'VARCHAR',
  eventType: 'VARCHAR',
  eventCategory: 'VARCHAR',
  requestID: 'VARCHAR',
  sharedEventID: 'VARCHAR',
  vpcEndpointId: 'VARCHAR',
  vpcEndpointAccountId: 'VARCHAR',
  apiVersion: 'VARCHAR',
  sessionCredentialFromConsole: 'VARCHAR',
  tlsDetails: { tlsVersion: 'VARCHAR', cipherSuite: 'VARCHAR', clientProvidedHostHeader: 'VARCHAR' },
  resources: [{ ARN: 'VARCHAR', accountId: 'VARCHAR', type: 'VARCHAR' }],
  requestParameters: 'JSON',
  responseElements: 'JSON',
  additionalEventData: 'JSON',
  serviceEventDetails: 'JSON',
} as const;

/** Columns holding a JSON object: `requestParameters.bucketName` is rewritten to a JSON extraction. */
export const JSON_COLUMNS = ['requestParameters', 'responseElements', 'additionalEventData', 'serviceEventDetails', 'record'] as const;

/** Columns TrailCase adds: the event's identity in the case (for the inspector) and the verbatim record. */
export const CASE_COLUMNS = [
  { name: 'leaf', type: 'BIGINT', doc: "the event's leaf in the case Merkle tree (opens it in the inspector)" },
  // Also written eventID: DuckDB's names are case-insensitive, so the view has no second eventID column
  // (before layout 5 the record's own eventID was one, reachable only as eventID_1 in SELECT *).
  { name: 'eventid', type: 'VARCHAR', doc: "TrailCase's event id, also written eventID (CloudTrail's eventID, or sha256:… for a record without one; the record's own field is record.eventID)" },
  { name: 'eventTime', type: 'TIMESTAMP', doc: 'eventTime (UTC), as the case normalised it (@timestamp when eventTime is absent)' },
  { name: 'record', type: 'VARCHAR', doc: 'the verbatim record text (JSON), for free-text search and any path not typed' },
] as const;

export interface FieldInfo {
  path: string;
  type: string;
  /** Where the value lives: a typed column (or struct member), inside a JSON column, or in the resources list. */
  kind: 'typed' | 'json' | 'list';
  /** For paths found in the case's own records: how many events carry it. */
  events?: number;
}

/** Every typed path (struct members flattened with dots), for completion and the search compiler. */
export function typedFields(): FieldInfo[] {
  const out: FieldInfo[] = CASE_COLUMNS.filter((c) => c.name !== 'record').map((c) => ({ path: c.name, type: c.type, kind: 'typed' as const }));
  const walk = (prefix: string, s: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(s)) {
      const p = prefix ? `${prefix}.${k}` : k;
      if (typeof v === 'string') out.push({ path: p, type: v, kind: v === 'JSON' ? 'json' : 'typed' });
      else if (Array.isArray(v)) for (const [m, t] of Object.entries(v[0] as Record<string, string>)) out.push({ path: `${p}.${m}`, type: t, kind: 'list' });
      else walk(p, v as Record<string, unknown>);
    }
  };
  walk('', RECORD_STRUCTURE);
  return out;
}

/** Double-quote an identifier for DuckDB. */
export function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

/** A JSON path for DuckDB's json functions, each key quoted so any key text is safe. */
export function jsonPath(keys: readonly string[]): string {
  return '$' + keys.map((k) => `.${JSON.stringify(k)}`).join('');
}

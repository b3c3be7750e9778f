// The report as HTML, printed to report.pdf by Chromium (docs/verification.md). A pure
// function of the report model (and the table-of-contents page numbers the
// PDF pass finds), so the PDF is as deterministic as report.json. Every value
// that comes from a case (CloudTrail fields are attacker-controlled) is
// escaped; the page needs no script and no external resource.
//
// Display integrity (docs/architecture.md, "Display integrity"): every value from the case goes through the
// shared display module (hidden and direction-changing characters as visible
// ⟨U+…⟩ escapes, very long values shortened with their length stated) and is
// wrapped in <bdi> so that it cannot reorder the text around it. report.json
// and timeline.csv keep every value exactly.
import { DISPLAY_MAX, displayText, escapeHidden } from '../../shared/text/display.ts';
import { formatBytes } from '../../shared/bytes.ts';
import type { ReportModel } from './model.ts';

// What the PDF lists is bounded, whatever the case size (README.md, "Known limits";
// docs/verification.md, "What the PDF holds"): the PDF is the narrative an examiner
// defends; the complete lists are report.json and timeline.csv, hashed in the signed
// manifest, and every shortened list says how many there are, how many are shown
// and which file holds them all. Chromium's memory and time grow with the page
// count (about 5 MB a page at 350 pages: 2.1 GB for the 489 pages a 1M-event case
// once gave), so these keep a report near 100 pages.
export interface PdfLimits {
  /** Rows shown in a PDF table (timeline, evidence, coverage, custody, ...) before pointing to the signed files for the rest. */
  rows: number;
  /** Findings printed in full (facts, interpretation); they come in severity order, so the rest are the least severe. */
  findings: number;
  /** Findings after those, one line each (number, severity, title, events, first seen, id). */
  briefFindings: number;
  /** Event ids cited per finding (all of them are in report.json and timeline.csv). */
  idsPerFinding: number;
}
export const PDF_LIMITS: Readonly<PdfLimits> = { rows: 150, findings: 100, briefFindings: 250, idsPerFinding: 12 };

const html = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** HTML-escaped text with hidden characters shown as escapes (also used in attributes). */
export function esc(v: unknown): string {
  return html(escapeHidden(String(v ?? '')));
}

/** A value from the case: escaped, shortened past `max` with its length stated, and isolated (<bdi>). */
export function val(v: unknown, max = DISPLAY_MAX): string {
  return v === null || v === undefined || v === '' ? '–' : `<bdi>${html(displayText(v, max))}</bdi>`;
}

/** Tool-written text that embeds values (a finding's statement, a message): a larger limit, its own line breaks kept (HTML flows them as spaces). */
const TEXT_MAX = 4000;
const txt = (v: unknown) => (v === null || v === undefined || v === '' ? '–' : `<bdi>${html(displayText(v, TEXT_MAX, { keepLayout: true }))}</bdi>`);

const dash = (v: unknown) => val(v);
const mono = (v: unknown) => `<span class="mono">${dash(v)}</span>`;
const hash = (v: unknown) => `<span class="mono hash">${dash(v)}</span>`;

export const SECTIONS = [
  ['s-case', 'Case and report'],
  ['s-scope', 'Authorisation and scope'],
  ['s-findings', 'Summary of findings'],
  ['s-timeline', 'Attacker timeline'],
  ['s-persistence', 'Persistence artefacts and remediation'],
  ['s-iocs', 'Indicators of compromise'],
  ['s-evidence', 'Evidence inventory'],
  ['s-coverage', 'Coverage and gaps'],
  ['s-methodology', 'Methodology'],
  ['s-warnings', 'Warnings and exclusions'],
  ['s-custody', 'Chain of custody'],
  ['s-integrity', 'Integrity'],
  ['s-verify', 'How to verify this report'],
  ['s-certification', 'Signature and certification'],
] as const;

/** The size, and the exact count a reader can check against the manifest. */
function fmtBytes(n: number): string {
  return n < 1024 ? formatBytes(n) : `${formatBytes(n)} (${n} bytes)`;
}

function table(head: string[], rows: string[], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The note under a shortened list: how many there are, how many are shown, which signed file holds them all. */
export function more(shown: number, total: number, where: string): string {
  return total > shown
    ? `<p class="note more">Shown here: the first ${shown} of ${total}. The other ${total - shown} are not printed; all ${total} are in ${where}, whose SHA-256 the signed manifest lists.</p>`
    : '';
}


/** A small Markdown subset for the certification template: ## headings, paragraphs, "- " lists, **bold**. */
export function miniMarkdown(md: string): string {
  const inline = (s: string) => esc(s).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>');
  const out: string[] = [];
  let list: string[] | null = null;
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push(`<p>${inline(para.join(' '))}</p>`);
    para = [];
    if (list) out.push(`<ul>${list.map((l) => `<li>${inline(l)}</li>`).join('')}</ul>`);
    list = null;
  };
  for (const line of md.split('\n')) {
    const t = line.trim();
    if (!t) flush();
    else if (/^#{1,6}\s/.test(t)) {
      flush();
      out.push(`<h3>${inline(t.replace(/^#+\s*/, ''))}</h3>`);
    } else if (/^[-*]\s/.test(t)) {
      if (para.length) {
        out.push(`<p>${inline(para.join(' '))}</p>`);
        para = [];
      }
      (list ??= []).push(t.slice(2));
    } else if (list) list[list.length - 1] += ' ' + t;
    else para.push(t);
  }
  flush();
  return out.join('\n');
}

const CSS = `
@page { size: A4; }
html { -webkit-print-color-adjust: exact; }
body { font-family: 'Liberation Sans', 'DejaVu Sans', Arial, Helvetica, sans-serif; font-size: 9pt; color: #111; line-height: 1.35; margin: 0; }
h1 { font-size: 20pt; margin: 0 0 6mm; }
h2 { font-size: 13pt; margin: 7mm 0 3mm; border-bottom: 1px solid #999; padding-bottom: 1mm; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 4mm 0 2mm; break-after: avoid; }
p { margin: 1.5mm 0; }
.note { color: #444; font-style: italic; }
.mono { font-family: 'DejaVu Sans Mono', 'Liberation Mono', 'Courier New', monospace; font-size: 7.5pt; }
.hash, .t { white-space: nowrap; }
.t { font-family: 'DejaVu Sans Mono', 'Liberation Mono', 'Courier New', monospace; font-size: 7pt; }
.wrap { word-break: break-all; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0 4mm; font-size: 8pt; }
th { background: #e8e8e8; text-align: left; font-weight: bold; }
th, td { border: 0.5pt solid #aaa; padding: 0.8mm 1.2mm; vertical-align: top; }
tr { break-inside: avoid; }
tbody.pair { break-inside: avoid; }
td.sub { background: #f6f6f6; border-top: none; }
dl.kv { display: grid; grid-template-columns: 42mm 1fr; gap: 0.6mm 3mm; margin: 2mm 0 4mm; }
dl.kv dt { font-weight: bold; }
dl.kv dd { margin: 0; }
.title { break-after: page; padding-top: 30mm; }
.toc { break-after: page; }
.toc ol { list-style: none; padding: 0; }
.toc li { display: flex; border-bottom: 0.5pt dotted #999; margin: 1.6mm 0; font-size: 10.5pt; }
.toc li a { flex: 1; color: #111; text-decoration: none; }
.toc li span.page { width: 14mm; text-align: right; }
.finding { box-sizing: border-box; border: 0.5pt solid #999; padding: 2mm 3mm; margin: 3mm 0; break-inside: auto; }
.finding h3 { margin-top: 0; }
.facts { border-left: 2pt solid #2a6; padding-left: 2mm; margin: 2mm 0; }
.interp { border-left: 2pt solid #c80; padding-left: 2mm; margin: 2mm 0; }
.sev-critical, .sev-high { color: #a00; font-weight: bold; }
.sev-medium { color: #a50; font-weight: bold; }
.ids span.mono { white-space: nowrap; margin-right: 2mm; display: inline-block; }
.cmd { font-family: 'DejaVu Sans Mono', 'Liberation Mono', 'Courier New', monospace; font-size: 7pt; white-space: pre; break-inside: avoid; page-break-inside: avoid; overflow: hidden; }
.ok { color: #060; font-weight: bold; }
.bad { color: #a00; font-weight: bold; }
bdi { unicode-bidi: isolate; }
.cert { box-sizing: border-box; border: 1pt solid #333; padding: 3mm 5mm; margin-top: 4mm; break-inside: avoid; }
`;

/** Chromium footer template: case id, report id, page x of y, and the checkpoint root, on every page. */
export function footerTemplate(m: ReportModel): string {
  const s = 'font-family: DejaVu Sans Mono, Liberation Mono, monospace; font-size: 6.5px; color: #333;';
  return (
    `<div style="width: 100%; margin: 0 14mm; ${s}">` +
    `<div style="display: flex; justify-content: space-between;"><span>Case ${esc(m.case.caseId)} · Report ${esc(m.reportId)}</span>` +
    `<span>Page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>` +
    `<div>Checkpoint #${esc(m.checkpoint.seq)} · ${esc(m.checkpoint.treeSize)} events · root ${esc(m.checkpoint.root)}</div></div>`
  );
}

export function renderReportHtml(m: ReportModel, tocPages: Map<string, number> = new Map(), L: PdfLimits = PDF_LIMITS): string {
  const parts: string[] = [];
  const push = (s: string) => parts.push(s);
  const findingNo = new Map(m.findings.items.map((f, i) => [f.id, `F${i + 1}`]));

  push(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>TrailCase report ${esc(m.reportId)} – ${esc(m.case.title)}</title><style>${CSS}</style></head><body>`);

  // Title page
  push(`<section class="title"><h1>Forensic report</h1>`);
  push(`<dl class="kv"><dt>Case</dt><dd>${esc(m.case.title)}</dd><dt>Case id</dt><dd>${mono(m.case.caseId)}</dd><dt>Report id</dt><dd>${mono(m.reportId)}</dd>`);
  push(`<dt>Examiner</dt><dd>${esc(m.examiner.name)}</dd><dt>Examiner key (Ed25519)</dt><dd>${hash(m.examiner.keyFingerprint)}</dd>`);
  push(`<dt>Checkpoint</dt><dd>#${esc(m.checkpoint.seq)}, ${esc(m.checkpoint.treeSize)} events, signed ${esc(m.checkpoint.createdAt)}</dd><dt>Merkle root</dt><dd>${hash(m.checkpoint.root)}</dd>`);
  push(`<dt>Tool</dt><dd>${esc(m.tool.name)} ${esc(m.tool.version)}</dd><dt>Build hash</dt><dd>${hash(m.tool.buildHash)}</dd></dl>`);
  push(`<p class="note">All times are UTC. This report is content-addressed: the same case at the same checkpoint, reported by the same examiner with the same build, gives the same report. Its files and their SHA-256 values are listed in manifest.json, signed with the examiner's key above.</p></section>`);

  // Table of contents
  push(`<section class="toc"><h2>Contents</h2><ol>`);
  SECTIONS.forEach(([id, title], i) => push(`<li><a href="#${id}">${i + 1}. ${esc(title)}</a><span class="page">${tocPages.get(id) ?? ''}</span></li>`));
  push(`</ol></section>`);

  const h2 = (id: string) => {
    const i = SECTIONS.findIndex(([sid]) => sid === id);
    return `<h2 id="${id}">${i + 1}. ${esc(SECTIONS[i][1])}</h2>`;
  };

  // 1. Case and report
  push(h2('s-case'));
  push(`<dl class="kv"><dt>Title</dt><dd>${esc(m.case.title)}</dd><dt>Case id</dt><dd>${mono(m.case.caseId)}</dd>`);
  push(`<dt>Created</dt><dd>${esc(m.case.createdAt)} by ${esc(m.case.createdBy)} with ${esc(m.case.createdWith)} (schema ${esc(m.case.schemaVersion)})</dd>`);
  push(`<dt>Report id</dt><dd>${mono(m.reportId)}</dd><dt>Report examiner</dt><dd>${esc(m.examiner.name)}, key ${hash(m.examiner.keyFingerprint)}</dd>`);
  push(`<dt>Built from</dt><dd>checkpoint #${esc(m.checkpoint.seq)} (${esc(m.checkpoint.reason)}), signed ${esc(m.checkpoint.createdAt)} by ${esc(m.checkpoint.signedBy ?? 'unknown')} (key ${hash(m.checkpoint.keyFingerprint)})</dd>`);
  push(`<dt>Events</dt><dd>${esc(m.checkpoint.treeSize)}, Merkle root ${hash(m.checkpoint.root)}</dd><dt>Evidence items</dt><dd>${esc(m.checkpoint.evidenceCount)}, root ${hash(m.checkpoint.evidenceRoot)}</dd></dl>`);

  // 2. Authorisation and scope
  push(h2('s-scope'));
  const sc = m.authorisation.scope;
  push(`<h3>Authorisation</h3>`);
  if (m.authorisation.notes.length) {
    push(table(['Custody #', 'Recorded', 'By', 'Authorisation'], m.authorisation.notes.map((n) => `<tr><td>${n.seq}</td><td>${esc(n.at)}</td><td>${esc(n.actor)}</td><td>${esc(n.text)}</td></tr>`)));
  } else push(`<p class="note">${esc(m.authorisation.note)}</p>`);
  push(`<h3>Scope</h3><dl class="kv"><dt>Time</dt><dd>${dash(sc.since)} to ${dash(sc.until)}</dd><dt>Accounts</dt><dd>${dash(sc.accounts?.join(', '))}</dd>`);
  push(`<dt>Regions</dt><dd>${dash(sc.regions?.join(', '))}</dd><dt>Suspected credentials</dt><dd class="wrap">${dash(sc.suspectedCredentials?.join(', '))}</dd><dt>Notes</dt><dd>${dash(sc.notes)}</dd></dl>`);

  // 3. Findings
  push(h2('s-findings'));
  if (!m.findings.available) push(`<p class="note">${esc(m.findings.note)}</p>`);
  else {
    const c = m.findings.counts;
    push(`<p>${m.findings.items.length} findings: ${c.critical} critical, ${c.high} high, ${c.medium} medium, ${c.low} low, ${c.informational} informational. For each, the <strong>facts</strong> (what the cited events show, with their eventIDs) are kept apart from the <strong>interpretation</strong> and its confidence.</p>`);
    if (!m.findings.items.length) push(`<p class="note">No check or Sigma rule matched any event in the case.</p>`);
    for (const f of m.findings.items.slice(0, L.findings)) {
      const ids = f.facts.eventIds.slice(0, L.idsPerFinding);
      push(`<div class="finding"><h3>${findingNo.get(f.id)}. ${txt(f.title)} <span class="sev-${esc(f.severity)}">[${esc(f.severity)}]</span></h3>`);
      push(`<p>Finding id ${mono(f.id)} · ${esc(f.source === 'sigma' ? 'Sigma rule' : 'check')} ${mono(f.checkId)} v${esc(f.checkVersion)} · ${esc(f.category)}${f.attack.length ? ` · ATT&amp;CK ${esc(f.attack.join(', '))}` : ''}</p>`);
      const total = f.facts.eventCount ?? f.facts.eventIds.length;
      push(`<div class="facts"><strong>Facts.</strong> ${txt(f.facts.statement)}<br>First seen ${dash(f.facts.firstSeen)}, last seen ${dash(f.facts.lastSeen)}. Cited events (${total}${total > f.facts.eventIds.length ? `; the finding lists the first ${f.facts.eventIds.length}` : ''}):`);
      push(`<div class="ids">${ids.map((id) => `<span class="mono">${esc(id)}</span>`).join(' ')}</div>${more(ids.length, f.facts.eventIds.length, `report.json (this finding's facts.eventIds) and timeline.csv (rows whose findings column holds ${esc(f.id)})`)}`);
      if (f.facts.missingEventIds.length) push(`<p class="bad">${f.facts.missingEventIds.length} cited events are not in the case.</p>`);
      push(`</div><div class="interp"><strong>Interpretation.</strong> ${txt(f.interpretation.summary)}<br><strong>Confidence.</strong> ${txt(f.interpretation.confidence)}</div>`);
      if (f.attribution) push(`<p class="note">Rule attribution: ${esc(f.attribution)}</p>`);
      push(`</div>`);
    }
    const brief = m.findings.items.slice(L.findings, L.findings + L.briefFindings);
    if (brief.length) {
      push(`<h3>Further findings in brief</h3><p class="note">The first ${L.findings} findings are printed in full above; the next ${brief.length} are listed here one line each; report.json holds each in full.</p>`);
      push(table(['#', 'Severity', 'Finding', 'Events', 'First seen (UTC)'], brief.map((f) => `<tr><td>${findingNo.get(f.id)}</td><td class="sev-${esc(f.severity)}">${esc(f.severity)}</td><td>${txt(f.title)}<br>${mono(f.id)}</td><td>${f.facts.eventCount ?? f.facts.eventIds.length}</td><td class="t">${dash(f.facts.firstSeen)}</td></tr>`)));
    }
    push(more(Math.min(L.findings + L.briefFindings, m.findings.items.length), m.findings.items.length, 'report.json (findings.items, in this order: the findings not printed are the least severe)'));
  }

  // 4. Timeline
  push(h2('s-timeline'));
  push(`<p>${esc(m.timeline.note)} ${m.timeline.count} events; timeline.csv holds the same rows.</p>`);
  // m.timeline.rows may be only the first rows (generate.ts reads no more for the PDF); m.timeline.count is how many there are.
  if (!m.findings.available) push(`<p class="note">${esc(m.findings.note)} The timeline therefore holds only events the examiner tagged.</p>`);
  if (m.timeline.rows.length) {
    const rows = m.timeline.rows.slice(0, L.rows).map(
      (r) =>
        `<tbody class="pair"><tr><td class="t">${dash(r.time)}</td><td>${dash(r.eventName)}<br><span class="mono">${dash(r.eventSource)}</span></td><td class="wrap">${dash(r.principal)}<br>${mono(r.accessKeyId)}</td>` +
        `<td class="mono">${dash(r.sourceIPAddress)}</td><td>${dash(r.awsRegion)}</td><td>${dash(r.errorCode)}</td></tr>` +
        `<tr><td class="sub" colspan="6">eventID ${mono(r.eventId)}${r.userAgent ? ` · user agent <span class="wrap">${val(r.userAgent, 300)}</span>` : ''}${r.findings.length ? ` · findings ${esc(r.findings.map((id) => findingNo.get(id) ?? id).join(', '))}` : ''}${r.tags.length ? ` · tags ${r.tags.map((t) => val(t)).join(', ')}` : ''}</td></tr></tbody>`,
    );
    push(`<table><thead><tr><th>Time (UTC)</th><th>Event</th><th>Principal / access key</th><th>Source IP</th><th>Region</th><th>Error</th></tr></thead>${rows.join('')}</table>`);
    push(more(Math.min(L.rows, m.timeline.rows.length), m.timeline.count, 'timeline.csv and report.json (timeline.rows)'));
  } else push(`<p class="note">No events.</p>`);

  // 5. Persistence
  push(h2('s-persistence'));
  if (m.persistence.note) push(`<p class="note">${esc(m.persistence.note)}</p>`);
  for (const p of m.persistence.items.slice(0, L.findings)) {
    push(`<div class="finding"><h3>${findingNo.get(p.findingId) ?? ''}. ${txt(p.title)} <span class="sev-${esc(p.severity)}">[${esc(p.severity)}]</span></h3>`);
    push(`<p><strong>Artefacts:</strong> ${p.artefacts.length ? p.artefacts.map((a) => `${esc(a.type)} <span class="mono wrap">${val(a.value)}</span>`).join('; ') : '–'}</p>`);
    push(`<p><strong>Remediation:</strong></p>${p.remediation.length ? `<ol>${p.remediation.map((r) => `<li>${txt(r)}</li>`).join('')}</ol>` : '<p class="note">None given by the check.</p>'}</div>`);
  }
  push(more(Math.min(L.findings, m.persistence.items.length), m.persistence.items.length, 'report.json (persistence.items)'));

  // 6. IOCs
  push(h2('s-iocs'));
  if (m.iocs.note) push(`<p class="note">${esc(m.iocs.note)}</p>`);
  if (m.iocs.items.length) {
    push(
      table(
        ['Type', 'Value', 'Label / source', 'State', 'Hits', 'First seen', 'Last seen'],
        m.iocs.items.slice(0, L.rows).map(
          (i) =>
            `<tr><td>${esc(i.type)}</td><td class="mono wrap">${val(i.value)}</td><td>${dash([i.label, i.source].filter(Boolean).join(' / '))}</td><td>${i.enabled ? 'enabled' : 'disabled'}</td>` +
            `<td>${i.hits === null ? 'n/a' : i.hits}${i.note ? `<br><span class="note">${txt(i.note)}</span>` : ''}</td><td class="t">${dash(i.firstSeen)}</td><td class="t">${dash(i.lastSeen)}</td></tr>`,
        ),
      ),
    );
    push(more(Math.min(L.rows, m.iocs.items.length), m.iocs.items.length, 'report.json (iocs.items)'));
  } else push(`<p class="note">No indicators recorded in the case.</p>`);

  // 7. Evidence
  push(h2('s-evidence'));
  push(`<p>${m.evidence.count} evidence items, ${fmtBytes(m.evidence.totalBytes)} preserved byte for byte. SHA-256 over the original bytes as acquired.</p>`);
  const ev = m.evidence.items.slice(0, L.rows).map(
    (e) =>
      `<tbody class="pair"><tr><td>${e.id}</td><td class="wrap">${val(e.origin)}<br><span class="note">${esc(e.kind)}, ${esc(e.format)}, ${esc(e.compression)}</span></td><td><span class="t">${esc(e.acquiredAt)}</span><br>${esc(e.examiner)}</td>` +
      `<td>${e.size}</td><td>${e.events}${e.copies ? ` (+${e.copies} copies)` : ''}${e.rejected ? `, ${e.rejected} rejected` : ''}${e.excluded ? `, ${e.excluded} out of scope` : ''}</td><td>${esc(e.validation)}</td></tr>` +
      `<tr><td class="sub" colspan="6">SHA-256 ${hash(e.sha256)}</td></tr></tbody>`,
  );
  push(`<table><thead><tr><th>#</th><th>Origin</th><th>Acquired (UTC) / by</th><th>Bytes</th><th>Events</th><th>CloudTrail validation</th></tr></thead>${ev.join('')}</table>`);
  push(more(ev.length, m.evidence.items.length, 'report.json (evidence.items)'));

  // 8. Coverage and gaps
  push(h2('s-coverage'));
  push(`<p>Events from ${dash(m.coverage.timeRange.first)} to ${dash(m.coverage.timeRange.last)} (UTC).</p>`);
  if (!m.coverage.gaps.available || !m.coverage.gaps.data) push(`<p class="note">${esc(m.coverage.gaps.note)}</p>`);
  else push(renderGaps(m.coverage.gaps.data, L));

  // 9. Methodology
  push(h2('s-methodology'));
  push(`<dl class="kv"><dt>Tool</dt><dd>${esc(m.methodology.tool.name)} ${esc(m.methodology.tool.version)}</dd><dt>Build hash</dt><dd>${hash(m.methodology.tool.buildHash)}</dd>`);
  push(`<dt>Certification template</dt><dd>SHA-256 ${hash(m.methodology.certificationTemplateSha256)}</dd></dl>`);
  push(`<h3>Acquisition and import</h3>`);
  push(table(['Import', 'Started (UTC)', 'By', 'Tool', 'Parameters'], m.methodology.imports.slice(0, L.rows).map((i) => `<tr><td>${i.importId}</td><td class="t">${esc(i.startedAt)}</td><td>${esc(i.actor)}</td><td>${esc(i.toolVersion)}</td><td class="mono wrap">${txt(JSON.stringify(i.params))}</td></tr>`)) + more(Math.min(L.rows, m.methodology.imports.length), m.methodology.imports.length, 'report.json (methodology.imports)'));
  push(table(['Kind', 'Format', 'Items', 'Events'], m.methodology.formats.map((f) => `<tr><td>${esc(f.kind)}</td><td>${esc(f.format)}</td><td>${f.items}</td><td>${f.events}</td></tr>`)));
  push(`<h3>Checks and Sigma rules run</h3>`);
  if (m.methodology.queries.length) {
    // Queries run over the case (docs/queries.md): re-running one on the handed-over case gives the same result hash.
    push(`<p>${m.methodology.queries.length} queries ran over the case; each result hash is SHA-256 over the canonical result (docs/queries.md). <span class="mono">trailcase query CASE --recheck</span> runs each again over the events it ran over (Events) and compares the hash; a query marked not repeatable reads values that change between runs.</p>`);
    const qNote = (q: (typeof m.methodology.queries)[number]) =>
      [q.volatile.length ? `not repeatable: reads ${esc(q.volatile.join(', '))}` : '', q.recheckOf !== null ? `run again of #${q.recheckOf}` : ''].filter(Boolean).join('; ');
    push(table(['Custody #', 'By', 'Kind', 'Query', 'Engine', 'Events', 'Rows', 'Result SHA-256'], m.methodology.queries.slice(0, L.rows).map((q) => `<tr><td>${q.seq}</td><td>${esc(q.actor)}</td><td>${esc(q.source)}${q.savedQuery ? ` (${esc(q.savedQuery)})` : ''}</td><td class="mono wrap">${esc(q.text)}${qNote(q) ? `<br><em>${qNote(q)}</em>` : ''}</td><td>${esc(q.engine)}</td><td>${q.treeSize}</td><td>${q.rows}</td><td>${hash(q.resultSha256)}</td></tr>`)) + more(Math.min(L.rows, m.methodology.queries.length), m.methodology.queries.length, 'report.json (methodology.queries)'));
  }
  if (m.methodology.analysisNote) push(`<p class="note">${esc(m.methodology.analysisNote)}</p>`);
  else {
    push(`<p>${m.methodology.checks.length} built-in checks and ${m.methodology.sigma.length} Sigma rules ran over every event of the case.</p>`);
    push(`<p>${analysisRunText(m.methodology.analysisRun)}</p>`);
    if (m.methodology.engines.length) push(table(['Analysis unit', 'Version'], m.methodology.engines.map((u) => `<tr><td class="mono">${esc(u.id)}</td><td>${esc(u.version)}</td></tr>`)));
    push(table(['Check', 'Version'], m.methodology.checks.map((c) => `<tr><td class="mono">${esc(c.id)}</td><td>${esc(c.version)}</td></tr>`)));
    push(table(['Sigma rule', 'Title', 'Version'], m.methodology.sigma.map((s) => `<tr><td class="mono wrap">${esc(s.id)}</td><td>${esc(s.title)}</td><td>${dash(s.version)}</td></tr>`)));
    // The examiner's own detections (docs/queries.md): a receiver checks they hold the same rule files and queries.
    if (m.methodology.sigmaFiles.length) push(table(['Examiner Sigma rule file', 'SHA-256'], m.methodology.sigmaFiles.map((f) => `<tr><td class="mono wrap">${esc(f.file)}</td><td>${hash(f.sha256)}</td></tr>`)));
    if (m.methodology.promoted.length) push(table(['Promoted query check', 'Version', 'Query text SHA-256', 'Result SHA-256'], m.methodology.promoted.map((p) => `<tr><td class="mono wrap">${esc(p.id)}</td><td>${esc(p.version)}</td><td>${p.textSha256 ? hash(p.textSha256) : '-'}</td><td>${p.resultSha256 ? hash(p.resultSha256) : '-'}</td></tr>`)));
  }
  if (m.methodology.enrichment?.sources.length) {
    push(`<h3>Address enrichment databases</h3>`);
    push(`<p class="note">${esc(m.methodology.enrichment.note)}</p>`);
    push(table(['Database', 'Version', 'Date', 'SHA-256', 'Licence and attribution'], m.methodology.enrichment.sources.map((d) => `<tr><td>${esc(d.kind)}: ${esc(d.name)}</td><td>${esc(d.version)}</td><td class="t">${dash(d.date)}</td><td>${hash(d.sha256)}</td><td class="wrap">${esc(d.licence)}. ${esc(d.attribution)}</td></tr>`)));
  }

  // 10. Warnings and exclusions
  push(h2('s-warnings'));
  const t = m.warnings.totals;
  push(`<dl class="kv"><dt>Import warnings</dt><dd>${t.warnings}</dd><dt>Rejected records</dt><dd>${t.rejectedRecords}</dd><dt>Out of scope (excluded)</dt><dd>${t.excludedOutOfScope}</dd>`);
  push(`<dt>Copies from other sources</dt><dd>${t.copies}, of which ${t.conflicts} conflict with the first copy</dd><dt>Dismissed findings</dt><dd>${m.warnings.dismissedFindings.length}</dd><dt>Unsupported Sigma rules</dt><dd>${m.warnings.sigmaUnsupported.length}</dd><dt>Analysis warnings</dt><dd>${m.warnings.analysisWarnings.reduce((a, w) => a + w.count, 0)}</dd></dl>`);
  if (m.warnings.analysisWarnings.length) {
    push(`<h3>Analysis warnings</h3>`);
    push(table(['Unit', 'Count', 'Examples'], m.warnings.analysisWarnings.map((w) => `<tr><td class="mono">${esc(w.unit)}</td><td>${w.count}</td><td class="wrap">${w.examples.map((x) => `${x.eventId ? `${mono(x.eventId)}: ` : ''}${txt(x.message)}`).join('<br>')}</td></tr>`)));
  }
  if (m.warnings.importWarnings.length) {
    push(table(['Code', 'Count', 'Examples'], m.warnings.importWarnings.map((w) => `<tr><td class="mono">${esc(w.code)}</td><td>${w.count}</td><td class="wrap">${w.examples.map((x) => `${val(x.origin)}${x.recordIndex !== null ? ` #${x.recordIndex}` : ''}: ${txt(x.message)}`).join('<br>')}</td></tr>`)));
  }
  if (m.warnings.dismissedFindings.length) {
    push(`<h3>Dismissed findings</h3>`);
    push(table(['Finding', 'Decision', 'By / when', 'Note'], m.warnings.dismissedFindings.slice(0, L.rows).map((d) => `<tr><td>${txt(d.title)}<br>${mono(d.id)}</td><td>${esc(d.decision)}</td><td>${esc(d.actor)}<br>${esc(d.at)}</td><td>${dash(d.note)}</td></tr>`)) + more(Math.min(L.rows, m.warnings.dismissedFindings.length), m.warnings.dismissedFindings.length, 'report.json (warnings.dismissedFindings)'));
  }
  if (m.warnings.sigmaUnsupported.length) {
    push(`<h3>Sigma rules not run (unsupported)</h3>`);
    push(table(['Rule', 'Reason'], m.warnings.sigmaUnsupported.map((u) => `<tr><td class="wrap">${esc(u.title ?? u.id)}</td><td>${dash(u.reason)}</td></tr>`)));
  }
  if (m.warnings.names.length) {
    push(`<h3>Names to check</h3><p>Principal and resource names holding invisible or direction-changing characters (shown as ⟨U+…⟩) or mixing scripts: each looks like, or reads as, another name. report.json holds each name exactly.</p>`);
    push(table(['Where', 'Name', 'Why', 'Events'], m.warnings.names.slice(0, L.rows).map((n) => `<tr><td>${esc(n.field)}</td><td class="mono wrap">${val(n.value)}</td><td>${n.reasons.map((r) => txt(r)).join('<br>')}</td><td>${n.events}${n.exampleEventId ? `<br>e.g. ${mono(n.exampleEventId)}` : ''}</td></tr>`)) + more(Math.min(L.rows, m.warnings.names.length), m.warnings.names.length, 'report.json (warnings.names)'));
  }
  if (m.warnings.missingEvents.length) push(`<p class="bad">${m.warnings.missingEvents.length} events cited by findings or tags are not in the case: ${m.warnings.missingEvents.slice(0, 50).map(mono).join(' ')}</p>${more(Math.min(50, m.warnings.missingEvents.length), m.warnings.missingEvents.length, 'report.json (warnings.missingEvents)')}`);

  // 11. Custody
  push(h2('s-custody'));
  push(`<p>${m.custody.count} entries up to the checkpoint; each entry's hash chains to the one before (head ${hash(m.custody.head)}).</p>`);
  const cust = m.custody.entries.slice(0, L.rows).map((e) => {
    const d = JSON.stringify(e.details);
    return `<tr><td>${e.seq}</td><td class="t">${esc(e.at)}</td><td>${esc(e.actor)}</td><td>${esc(e.action)}</td><td class="mono wrap">${val(d, 400)}</td></tr>`;
  });
  push(table(['#', 'Time (UTC)', 'Actor', 'Action', 'Details'], cust));
  push(more(cust.length, m.custody.entries.length, 'report.json (custody.entries)'));

  // 12. Integrity
  push(h2('s-integrity'));
  const iv = m.integrity.verify;
  push(`<p>Verification of the whole case when this report was built: <span class="${iv.ok ? 'ok' : 'bad'}">${iv.ok ? 'INTACT' : 'DAMAGED'}</span>; SQLite integrity_check: ${mono(iv.integrityCheck)}.</p>`);
  const ic = m.integrity.checkpoint;
  push(`<dl class="kv"><dt>Checkpoint</dt><dd>#${ic.seq} of ${m.integrity.checkpointsInCase}, signed ${esc(ic.createdAt)} by ${esc(ic.signedBy ?? 'unknown')}</dd><dt>Events / root</dt><dd>${ic.treeSize} / ${hash(ic.root)}</dd>`);
  push(`<dt>Evidence / root</dt><dd>${ic.evidenceCount} / ${hash(ic.evidenceRoot)}</dd><dt>Custody head</dt><dd>#${ic.custodySeq} ${hash(ic.custodyHead)}</dd><dt>Signing key</dt><dd>${hash(ic.keyFingerprint)}</dd></dl>`);
  push(`<p>Signed checkpoint text (Ed25519 signature, base64, below it):</p><pre class="mono">${html(escapeHidden(m.checkpoint.body, { keepLayout: true }))}</pre><p class="mono wrap">${esc(m.checkpoint.signature)}</p>`);
  if (iv.problems.length) push(table(['Where', 'Problem'], iv.problems.map((p) => `<tr><td class="mono">${val(p.where)}</td><td>${txt(p.message)}</td></tr>`)));
  if (iv.warnings.length) push(table(['Where', 'Warning'], iv.warnings.map((p) => `<tr><td class="mono">${val(p.where)}</td><td>${txt(p.message)}</td></tr>`)));
  if (m.integrity.sourceValidation.length) {
    push(`<h3>CloudTrail log file validation</h3>`);
    push(table(['Result', 'Source objects'], m.integrity.sourceValidation.map((s) => `<tr><td>${esc(s.result)}</td><td>${s.count}</td></tr>`)));
  } else push(`<p class="note">No CloudTrail digest validation results: the case holds no digest files for its sources, or digest validation is not part of this build.</p>`);

  // 13. Verification
  push(h2('s-verify'));
  // The commands in a <pre> (white-space: pre; kept on one page): text copied out of the PDF runs as printed (docs/verification.md).
  push(`<p>A receiver can check this report and the case file without TrailCase. The lines below run as printed; verify-case.py (listed in the signed manifest) recomputes every record, hash, root and signature of the case against the checkpoint this report was built from; docs/verification.md explains every step.</p>`);
  push(`<pre class="cmd">${m.verification.map(esc).join('\n')}</pre>`);
  const stamps = m.integrity.timestamps;
  const own = stamps.filter((t) => t.checkpointSeq === m.checkpoint.seq);
  if (stamps.length) {
    push(`<p>Trusted time: RFC 3161 time-stamps over SHA-256 of the signed checkpoint text (each token and the text it stamps are in this folder, listed in the manifest):</p>`);
    push(table(['Checkpoint', 'Time-stamping authority', 'Time (TSA)', 'Token file'], stamps.map((t) => `<tr><td>#${t.checkpointSeq}</td><td class="wrap">${esc(t.tsa)}</td><td class="t">${esc(t.genTime)}</td><td class="mono">${esc(t.file)}</td></tr>`)));
    push(`<p>Check one with the TSA's CA certificate, obtained from the TSA: <span class="mono">openssl ts -verify -data checkpoint-N.txt -in FILE.tsr -token_in -CAfile TSA-CA.pem</span> (or <span class="mono">python3 verify-case.py CASE --tsa-ca TSA-CA.pem</span>).</p>`);
  }
  if (!own.length) {
    push(`<p>Trusted time: ${stamps.length ? `checkpoint #${m.checkpoint.seq}, on which this report rests, has no time-stamp: its` : 'no checkpoint of this case was time-stamped by a time-stamping authority: the checkpoint'} time rests on the examiner's own clock. Whoever holds the examiner's key could later build a different case with the same times, so the checkpoint roots should be lodged with another party early (handing over this report does that for the checkpoint it states).</p>`);
  }

  // 14. Certification
  push(h2('s-certification'));
  push(`<p>Electronic signature: manifest.json is signed with the Ed25519 key of ${esc(m.examiner.name)}, fingerprint ${hash(m.examiner.keyFingerprint)} (manifest.json.sig; public key in examiner-public-key.pem).</p>`);
  push(`<div class="cert">${miniMarkdown(m.certification.markdown)}</div>`);

  push(`</body></html>`);
  return parts.join('\n');
}

function ranges(rs: { from: string; to: string; hours: number }[], max = 6): string {
  if (!rs.length) return '–';
  return rs.slice(0, max).map((r) => `${esc(r.from)} – ${esc(r.to)} (${r.hours} h)`).join('<br>') + (rs.length > max ? `<br>… ${rs.length - max} more (report.json)` : '');
}

/** The analysis gap report: coverage per account and region, hours without events, logging changes, source limits. */
function renderGaps(g: NonNullable<ReportModel['coverage']['gaps']['data']>, L: PdfLimits): string {
  const out: string[] = [];
  out.push(`<p>${g.range.hours} hours in the case range; accounts ${dash(g.accounts.join(', '))}; regions ${dash(g.regions.join(', '))}.</p>`);
  out.push(`<h3>Coverage per account and region</h3>`);
  out.push(
    table(
      ['Account', 'Region', 'Events', 'First / last (UTC)', 'Hours with events', 'Hours without', 'Gaps'],
      g.coverage.slice(0, L.rows).map(
        (c) =>
          `<tr><td class="mono">${dash(c.account)}</td><td>${dash(c.region)}</td><td>${c.events}</td><td class="t">${dash(c.first)}<br>${dash(c.last)}</td>` +
          `<td>${c.hoursWithEvents}</td><td>${c.missingHours}</td><td class="t">${ranges(c.missing, 3)}</td></tr>`,
      ),
    ) + more(Math.min(L.rows, g.coverage.length), g.coverage.length, 'report.json (coverage.gaps.data.coverage)'),
  );
  out.push(`<h3>Hours with no event at all</h3>`);
  out.push(g.emptyHours.length ? `<p class="t">${ranges(g.emptyHours, 50)}</p>` : '<p>None inside the case range.</p>');
  out.push(`<h3>Logging disabled or narrowed</h3>`);
  out.push(
    g.loggingChanges.length
      ? table(
          ['Time (UTC)', 'Event', 'By', 'Target / change'],
          g.loggingChanges.slice(0, L.rows).map(
            (c) => `<tr><td class="t">${dash(c.time)}</td><td>${val(c.eventName)}<br>${mono(c.eventId)}</td><td class="wrap">${dash(c.principal)}</td><td class="wrap">${dash(c.target)}<br>${txt(c.detail)}</td></tr>`,
          ),
        ) + more(Math.min(L.rows, g.loggingChanges.length), g.loggingChanges.length, 'report.json (coverage.gaps.data.loggingChanges)')
      : '<p>No event in the case disabled or narrowed logging.</p>',
  );
  if (g.loggingOff.length) {
    out.push(table(['Trail stopped', 'From', 'To', 'Stopped by', 'Restarted by'], g.loggingOff.slice(0, L.rows).map((o) => `<tr><td class="wrap">${val(o.trail)}</td><td class="t">${dash(o.from)}</td><td class="t">${dash(o.to)}</td><td class="wrap">${val(o.stoppedBy)}</td><td class="wrap">${dash(o.restartedBy)}</td></tr>`)) + more(Math.min(L.rows, g.loggingOff.length), g.loggingOff.length, 'report.json (coverage.gaps.data.loggingOff)'));
  }
  out.push(`<h3>Source limits</h3><ul>`);
  out.push(`<li>CloudTrail digest chain: ${esc(g.digest.note)}${g.digest.gaps.length ? ` (${g.digest.gaps.length} gaps or failures: ${g.digest.gaps.slice(0, 20).map((x) => `${val(x.origin)}: ${esc(x.result)}${x.detail ? ` (${txt(x.detail)})` : ''}`).join('; ')})` : ''}</li>`);
  out.push(`<li>Data events: ${esc(g.dataEvents.note)}</li>`);
  if (g.lookupEvents.present) out.push(`<li>LookupEvents: ${g.lookupEvents.notes.map(esc).join(' ')}${g.lookupEvents.horizon.map((h) => ` ${dash(h.region)} acquired ${esc(h.acquiredAt)}, nothing before ${esc(h.earliestAvailable)}.`).join('')}</li>`);
  for (const n of g.notes) out.push(`<li>${esc(n)}</li>`);
  out.push(`</ul>`);
  return out.join('\n');
}

/** Which analysis run the findings come from, in one sentence (values from the case through txt()). */
function analysisRunText(r: ReportModel['methodology']['analysisRun']): string {
  if (r.source === 'stored') {
    return `The findings are those of analysis run #${r.runId}, stored in the case by ${txt(r.actor ?? '')} at ${esc(r.at ?? '')} (custody entry ${r.custodySeq}) over ${r.treeSize} events, root ${hash(r.root ?? '')}; it still describes the case (same events and root, same check and rule versions), so it was not run again.`;
  }
  return `The analysis was run for this report over ${r.treeSize} events: ${txt(r.reason ?? '')}.`;
}

// UI benchmark (docs/architecture.md, "The renderer"): the real host and the real renderer in headless
// Chromium on a (1M-event) case, measured in the page with performance marks:
// first timeline paint, one zoom step, applying an IP filter and an IOC
// filter, and the most timeline DOM items ever present; then (benchUiRaw, its
// own process under `npm run bench`), for comparison, vis-timeline handed the
// raw events of the same first window (capped, and extrapolated linearly beyond
// the cap - said so in the key).
//
// `npm run bench` calls benchUi(CASE) and benchUiRaw(CASE). Standalone:
//   node --import tsx test/bench/ui.ts [CASE]       (no CASE: builds .bench/ui-200000.trailcase)
// The IOC measurement adds one indicator to the case and removes it again
// (both custody-logged, as every change to a case is).
import { build } from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startHost } from '../../electron/host/server.ts';
import { dispatch } from '../../electron/api/handlers.ts';
import { ROOT } from '../../electron/version.ts';
import { chromiumSkipReason, launchChromium } from '../support/browser.ts';

/** Raw events handed to vis-timeline at most (it needs ~3 ms each; more would take minutes). */
export const RAW_CAP = 20_000;

async function ready(page: Page, seqAfter: number): Promise<{ seq: number; mode: string; maxDom: number }> {
  await page.waitForFunction(
    (after) => {
      const el = document.querySelector('.timeline-wrap');
      return el?.getAttribute('data-state') === 'ready' && Number(el.getAttribute('data-seq')) > after;
    },
    seqAfter,
    { timeout: 120_000, polling: 10 },
  );
  return page.evaluate(() => {
    const el = document.querySelector('.timeline-wrap')!;
    return { seq: Number(el.getAttribute('data-seq')), mode: el.getAttribute('data-mode')!, maxDom: Number(el.getAttribute('data-max-dom-items')) };
  });
}

const lastMeasure = (page: Page, name: string) =>
  page.evaluate((n) => {
    const m = performance.getEntriesByName(n, 'measure');
    return m.length ? m[m.length - 1].duration : NaN;
  }, name);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** vis-timeline alone, for the raw comparison: bundled from the same package the renderer uses. */
async function visBundle(): Promise<string> {
  const r = await build({
    stdin: {
      contents: `import { Timeline } from 'vis-timeline/peer'; import { DataSet } from 'vis-data/peer'; import moment from 'moment'; window.__vis = { Timeline, DataSet, moment };`,
      resolveDir: ROOT,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    write: false,
    minify: true,
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

/** In the comparison page: vis-timeline with every raw item, timed from construction to its first drawn frame. */
const RAW_TIMELINE_SCRIPT = `(async () => {
  const { Timeline, DataSet, moment } = window.__vis;
  const its = window.__items;
  const groups = new DataSet([...new Set(its.map((i) => i.group))].map((g) => ({ id: g, content: String(g) })));
  const t = performance.now();
  const tl = new Timeline(document.getElementById('c'), new DataSet(its.map((i) => ({ ...i, start: new Date(i.start), type: 'point', content: '' }))), groups, {
    stack: false,
    height: '100%',
    moment: (d) => moment(d).utc(),
  });
  await new Promise((resolve) => {
    tl.on('changed', () => requestAnimationFrame(() => resolve()));
    tl.redraw();
  });
  return performance.now() - t;
})()`;

export async function benchUi(casePath: string): Promise<Record<string, number | string>> {
  const skip = chromiumSkipReason();
  if (skip) return { skipped: skip };
  const t0 = performance.now();
  const host = await startHost({ casePath });
  const startSeconds = (performance.now() - t0) / 1000;
  const b = await launchChromium({ viewport: { width: 1600, height: 1000 } });
  const out: Record<string, number | string> = {};
  try {
    // Imports keep the timeline rollups current (README.md, "Speed and size"): a start that builds them means the case came from an earlier version.
    out['host start, s'] = startSeconds;
    if (host.timelineIndex?.extended) out['  of which timeline rollups caught up, s'] = host.timelineIndex.seconds;
    const info = await dispatch(host.ctx, 'caseInfo', {});
    out['events in the case'] = info.counts.events;
    const page = await b.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));

    // 1. First paint: navigation start to the first drawn answer.
    await page.goto(`${host.url}&view=timeline`);
    let st = await ready(page, 0);
    out['first timeline paint, ms (target < 1500)'] = await lastMeasure(page, 'timeline:first-paint');
    out['first window mode'] = st.mode;
    {
      // Where the first paint went: the page up to its first request (bundle, React, the calls made before it), then as for the filters.
      const [f, d, r] = await Promise.all(['timeline:part:fetch', 'timeline:part:data', 'timeline:part:render'].map((n) => lastMeasure(page, n)));
      const b = (out['first timeline paint, ms (target < 1500)'] as number) - f - d - r;
      out['  first paint: split'] = `page up to its request ${b.toFixed(0)} ms, back end ${f.toFixed(0)} ms, data sets ${d.toFixed(0)} ms, vis-timeline draw ${r.toFixed(0)} ms`;
    }

    // 2. Zoom steps from the whole case ('+' zooms in by half around the centre).
    await page.locator('.timeline-wrap').focus();
    const zooms: number[] = [];
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('+');
      st = await ready(page, st.seq);
      zooms.push(await lastMeasure(page, 'timeline:zoom'));
    }
    out['one zoom step, ms (target < 300)'] = zooms[0];
    out['zoom step, median of 5, ms'] = median(zooms);
    out['zoom step, slowest of 5, ms'] = Math.max(...zooms);
    await page.keyboard.press('Home');
    st = await ready(page, st.seq);

    // 3. IP filters through the filter bar: the busiest source IP and the least busy of the top ten.
    const top = await dispatch(host.ctx, 'timelineDensity', { groupBy: 'ip', maxGroups: 11, buckets: 10 });
    // Addresses only (CloudTrail also records service names such as cloudformation.amazonaws.com as the source).
    const ips = top.groups.filter((g) => g.id !== 'other' && g.id !== 'none' && /^[\d.]+$|^[\da-f:]+$/i.test(g.label));
    const parts = async () => {
      const [f, d, r] = await Promise.all(['timeline:part:fetch', 'timeline:part:data', 'timeline:part:render'].map((n) => lastMeasure(page, n)));
      return `back end ${f.toFixed(0)} ms, data sets ${d.toFixed(0)} ms, vis-timeline draw ${r.toFixed(0)} ms`;
    };
    const filterBy = async (ip: { label: string; count: number }, key: string) => {
      await page.getByLabel('Filter field').selectOption('ips');
      await page.getByLabel('Filter value').fill(ip.label);
      await page.getByRole('button', { name: 'Add filter' }).click();
      st = await ready(page, st.seq);
      out[`${key} (${ip.count} events), ms (target < 300)`] = await lastMeasure(page, 'timeline:filter');
      out[`  ${key}: split`] = await parts();
      await page.getByRole('button', { name: 'Clear' }).click();
      st = await ready(page, st.seq);
    };
    if (ips[0]) await filterBy(ips[0], 'IP filter, busiest IP');
    const small = ips[ips.length - 1];
    if (small && small !== ips[0]) await filterBy(small, 'IP filter, smaller IP');

    // 4. An IOC filter: one indicator (the smaller IP), then "IOC matches only".
    if (small) {
      const added = await dispatch(host.ctx, 'addIoc', { type: 'ip', value: small.label, label: 'ui benchmark (removed again)' });
      try {
        await page.getByLabel('IOC matches only').check();
        st = await ready(page, st.seq);
        out[`IOC filter (${small.count} events), ms (target < 300)`] = await lastMeasure(page, 'timeline:filter');
        out['  IOC filter: split'] = await parts();
        await page.getByLabel('IOC matches only').uncheck();
        st = await ready(page, st.seq);
      } finally {
        await dispatch(host.ctx, 'removeIoc', { type: added.ioc.type, value: added.ioc.value });
      }
    }
    out['most timeline DOM items at any time (target <= ~2000)'] = st.maxDom;

    if (errors.length) out['page errors'] = errors.join(' | ').slice(0, 300);
  } finally {
    await b.close();
    await host.close();
  }
  return out;
}

/**
 * For comparison, in its own process (`npm run bench` runs it as the step
 * `ui-raw`): vis-timeline handed the raw events of the first window, so that
 * its memory is not counted as the TrailCase renderer's.
 */
export async function benchUiRaw(casePath: string): Promise<Record<string, number | string>> {
  const skip = chromiumSkipReason();
  if (skip) return { skipped: skip };
  const host = await startHost({ casePath });
  const b = await launchChromium({ viewport: { width: 1600, height: 1000 } });
  const out: Record<string, number | string> = {};
  try {
    const all = await dispatch(host.ctx, 'searchEvents', { limit: RAW_CAP, sort: 'time' });
    const items = all.events.map((e, i) => ({
      id: i,
      start: Date.parse(e.eventTime ?? '1970-01-01'),
      group: e.principalArn ?? e.userName ?? e.principalId ?? e.identityType ?? '(none)',
    }));
    const raw = await b.context.newPage();
    await raw.setContent('<!doctype html><html><body><div id="c" style="height:900px"></div></body></html>');
    await raw.addStyleTag({ path: join(ROOT, 'node_modules/vis-timeline/styles/vis-timeline-graph2d.min.css') });
    await raw.addScriptTag({ content: await visBundle() });
    await raw.evaluate((its) => {
      (window as unknown as { __items: unknown }).__items = its;
    }, items);
    // A string, not a function: the TypeScript loader would wrap inner functions in helpers the page does not have.
    const rawMs = (await raw.evaluate(RAW_TIMELINE_SCRIPT)) as number;
    out['vis-timeline raw: events handed'] = items.length;
    out['vis-timeline raw: ms for those'] = rawMs;
    if (all.total > items.length) out[`vis-timeline raw: ms for all ${all.total} (linear extrapolation)`] = (rawMs * all.total) / items.length;
    await raw.close();
  } finally {
    await b.close();
    await host.close();
  }
  return out;
}

// Standalone: a case given, or a synthetic one built once under .bench/.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let casePath = process.argv[2];
  if (!casePath) {
    const events = Number(process.env.UI_BENCH_EVENTS ?? 200_000);
    const dir = join(ROOT, '.bench');
    casePath = join(dir, `ui-${events}.trailcase`);
    if (!existsSync(casePath)) {
      mkdirSync(dir, { recursive: true });
      const { generateTrail } = await import('../../electron/demo/synth.ts');
      const { CaseStore } = await import('../../electron/case/store.ts');
      const { importPaths } = await import('../../electron/ingest/import-files.ts');
      const { tempSigner, tempDir } = await import('../support/case.ts');
      const trail = join(dir, `ui-trail-${events}`);
      if (!existsSync(trail)) generateTrail({ outDir: trail, totalEvents: events, days: 30, seed: 42 });
      const { signer } = tempSigner(tempDir('ui-bench-'));
      const store = CaseStore.create(casePath, { title: `UI bench ${events}`, examiner: signer.examiner }, signer);
      await importPaths(store, signer, { sources: [trail] });
      store.close();
    }
  }
  const r = { ...(await benchUi(casePath)), ...(await benchUiRaw(casePath)) };
  for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(64)} ${typeof v === 'number' ? v.toFixed(1) : v}`);
}

import axe from 'axe-core';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** An axe-core violation as the browser tests report it. */
export interface AxeFinding {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Runs axe-core in the page and returns the serious and critical violations (WCAG 2.x A/AA and best practice). */
export async function seriousA11yViolations(page: Page): Promise<AxeFinding[]> {
  await page.addScriptTag({ content: axe.source });
  const found = await page.evaluate(async () => {
    const run = (
      globalThis as unknown as {
        axe: {
          run: (
            ctx: Document,
            o: object,
          ) => Promise<{
            violations: { id: string; impact?: string | null; help: string; nodes: { target: unknown[] }[] }[];
          }>;
        };
      }
    ).axe.run;
    const r = await run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact ?? null,
      help: v.help,
      targets: v.nodes.map((n) => n.target.map(String).join(' ')),
    }));
  });
  return found.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** How far the document is wider than the viewport (0 = no horizontal overflow). */
export async function horizontalOverflowPx(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/**
 * Screenshots for docs/screenshots, taken only when WGBENCH_SCREENSHOTS names a folder
 * (`WGBENCH_SCREENSHOTS=docs/screenshots npx vitest run test/browser`), at desktop and phone widths.
 */
export async function screenshotWidths(page: Page, name: string): Promise<void> {
  const dir = process.env['WGBENCH_SCREENSHOTS'];
  if (dir === undefined || dir === '') return;
  const size = page.viewportSize() ?? { width: 1200, height: 1000 };
  for (const [label, width, height] of [
    ['desktop', 1280, 900],
    ['phone', 400, 860],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.evaluate(() => {
      window.scrollTo(0, 0);
    });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(dir, `${name}-${label}.png`), fullPage: label === 'phone' ? false : true });
  }
  await page.setViewportSize(size);
}

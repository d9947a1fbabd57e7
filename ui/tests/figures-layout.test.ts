import { render, screen } from '@testing-library/svelte';
import { describe, expect, it } from 'vitest';
import Figures from '../src/components/Figures.svelte';
import { CARD_MIN, FIGURE_CARDS, figureLayout, GAP, ONE_ROW_MIN, TWO_ROWS_MIN, WIDE } from '../src/lib/figures-layout';
import { defaultPrefs } from '../src/lib/prefs.svelte';
import { AppState } from '../src/lib/store/state.svelte';
import { immediateScheduler } from '../src/lib/schedule';
import { view } from '../src/dev/builders';

/** The detail pane's inner width in a window `w` px wide with the default sidebar. */
function detailWidth(w: number): number {
  const sidebar = defaultPrefs().sidebarWidth;
  const resizer = 5;
  const padding = 32; // .detail's 16 px either side
  return w - sidebar - resizer - padding;
}

describe('figure cards layout', () => {
  it('puts all seven cards in one row at a 1920 px window, each wide enough for its text', () => {
    const width = detailWidth(1920);
    const l = figureLayout(width);
    expect(l.rows).toBe(1);
    expect(l.columns.split('minmax').length - 1).toBe(FIGURE_CARDS);
    const oneFr = (width - GAP * (FIGURE_CARDS - 1)) / (FIGURE_CARDS - 1 + WIDE);
    expect(oneFr).toBeGreaterThanOrEqual(CARD_MIN);
  });

  it('uses two even rows at the default 1200 px window rather than cut the cards text', () => {
    const l = figureLayout(detailWidth(1200));
    expect(l).toMatchObject({ rows: 2, line: false });
    expect(l.columns.split('minmax').length - 1).toBe(4);
  });

  it('folds into one line at the smallest window, 720 px', () => {
    expect(figureLayout(ONE_ROW_MIN).rows).toBe(1);
    expect(figureLayout(ONE_ROW_MIN - 1).rows).toBe(2);
    expect(figureLayout(TWO_ROWS_MIN).line).toBe(false);
    expect(figureLayout(TWO_ROWS_MIN - 1)).toMatchObject({ line: true, rows: 1 });
    expect(figureLayout(detailWidth(720)).line).toBe(true);
  });

  it('lays the cards out in one row before the pane is measured', () => {
    expect(figureLayout(0).rows).toBe(1);
    const state = new AppState(immediateScheduler);
    const sub = state.upsert(view(1, 'One'));
    render(Figures, { props: { sub } });
    const figures = screen.getByTestId('figures');
    expect(figures.dataset.rows).toBe('1');
    expect(figures.dataset.line).toBe('false');
    expect(figures.children.length).toBe(FIGURE_CARDS);
    expect(figures.style.gridTemplateColumns).toContain('1.8fr');
  });
});

// The detail pane's seven figure cards (one of them, msgs/s with its sparkline, wider): one row
// when they fit, else two even rows (4 + 3), else two columns. Computed from the measured width
// rather than left to `auto-fill`, which wrapped the seventh card alone onto a second row at a
// 1200 px window.

/** Cards, in order; the second (msgs/s) is the wide one. */
export const FIGURE_CARDS = 7;
/** Narrowest a card may get and still show "100,000" and "99.9 %" at 18 px. */
export const CARD_MIN = 92;
/** The wide card's share of a normal card. */
export const WIDE = 1.8;
/** Gap between cards (the CSS uses the same). */
export const GAP = 8;

export interface FigureLayout {
  /** `grid-template-columns`. */
  columns: string;
  /** Rows the cards take. */
  rows: number;
}

/** The least width at which `n` tracks (one of them wide) keep every card at least CARD_MIN. */
function minWidth(tracks: number): number {
  return CARD_MIN * (tracks - 1 + WIDE) + GAP * (tracks - 1);
}

function template(tracks: number): string {
  const one = 'minmax(0, 1fr)';
  return [one, `minmax(0, ${WIDE}fr)`, ...Array<string>(tracks - 2).fill(one)].join(' ');
}

/** The layout for a container `width` px wide; 0 (not measured yet) counts as wide enough. */
export function figureLayout(width: number): FigureLayout {
  if (width <= 0 || width >= minWidth(FIGURE_CARDS)) return { columns: template(FIGURE_CARDS), rows: 1 };
  if (width >= minWidth(4)) return { columns: template(4), rows: 2 };
  return { columns: 'minmax(0, 1fr) minmax(0, 1fr)', rows: 4 };
}

/** The smallest container width that shows all cards in one row. */
export const ONE_ROW_MIN = minWidth(FIGURE_CARDS);

// The detail pane's seven figure cards (one of them, msgs/s with its sparkline, wider): one row
// when they fit with their text whole, else two even rows (4 + 3), else folded into one line of
// "label value" pairs so that a small window keeps its height for the log. Computed from the
// measured width rather than left to `auto-fill`, which wrapped the seventh card alone onto a
// second row at a 1200 px window.

/** Cards, in order; the second (msgs/s) is the wide one. */
export const FIGURE_CARDS = 7;
/**
 * Narrowest a card may get and still show its whole text: "21:09:28" at 18 px and the small
 * lines under the values ("last message 12 s ago", "3 failed in a row"). At 92 px a 1200 px
 * window cut most of them ("15:11:…", "no failures n…").
 */
export const CARD_MIN = 150;
/** The wide card's share of a normal card. */
export const WIDE = 1.8;
/** Gap between cards (the CSS uses the same). */
export const GAP = 8;

export interface FigureLayout {
  /** `grid-template-columns`. */
  columns: string;
  /** Rows the cards take. */
  rows: number;
  /** Folded into one line of label and value (no sparkline, no small lines). */
  line: boolean;
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
  if (width <= 0 || width >= minWidth(FIGURE_CARDS)) return { columns: template(FIGURE_CARDS), rows: 1, line: false };
  if (width >= minWidth(4)) return { columns: template(4), rows: 2, line: false };
  return { columns: '', rows: 1, line: true };
}

/** The smallest container width that shows all cards in one row. */
export const ONE_ROW_MIN = minWidth(FIGURE_CARDS);
/** The smallest container width that shows cards at all (two rows); below it, one line. */
export const TWO_ROWS_MIN = minWidth(4);

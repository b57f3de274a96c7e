/** How the CLI's text is styled: plain by default; colour only where the CLI decides a terminal shows it. */
export interface Style {
  bad(text: string): string;
  good(text: string): string;
  warn(text: string): string;
  strong(text: string): string;
}

export const PLAIN: Style = { bad: (t) => t, good: (t) => t, warn: (t) => t, strong: (t) => t };

const sgr = (open: number, close: number) => (t: string) => `\u001b[${open}m${t}\u001b[${close}m`;

export const COLOUR: Style = { bad: sgr(31, 39), good: sgr(32, 39), warn: sgr(33, 39), strong: sgr(1, 22) };

/**
 * Colour only on a terminal, and never when NO_COLOR is set to a non-empty value
 * (https://no-color.org: "when present and not an empty string ... prevents the addition of ANSI color").
 */
export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  return stream.isTTY === true && !env.NO_COLOR ? COLOUR : PLAIN;
}

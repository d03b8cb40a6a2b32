/**
 * The input line's history, walked with up and down like a shell's: up recalls older
 * lines, down newer ones, and walking past the newest brings back what was being typed.
 */
export class InputHistory {
  private readonly lines: string[] = [];
  /** Position while walking: lines.length means "not walking" (the draft). */
  private index = 0;
  private draft = '';

  constructor(private readonly max = 200) {}

  /** Records a submitted line (not blank, not a repeat of the last one) and stops walking. */
  push(line: string): void {
    if (line.trim() !== '' && this.lines.at(-1) !== line) {
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
    this.index = this.lines.length;
    this.draft = '';
  }

  /** The older line to show, given what the input holds now; null at the oldest. */
  up(current: string): string | null {
    if (this.index === 0) return null;
    if (this.index === this.lines.length) this.draft = current;
    this.index--;
    return this.lines[this.index] ?? null;
  }

  /** The newer line to show (the draft after the newest); null when not walking. */
  down(): string | null {
    if (this.index >= this.lines.length) return null;
    this.index++;
    return this.index === this.lines.length ? this.draft : (this.lines[this.index] ?? null);
  }

  get size(): number {
    return this.lines.length;
  }
}

/**
 * The composer's input history: ↑ and ↓ walk through what was sent, like a shell. The line
 * being typed is kept as the newest entry while walking, so ↓ past the end brings it back.
 * Pure.
 */
export class InputHistory {
  private readonly lines: string[] = [];
  /** Index into `lines` while walking; `lines.length` means "the draft". */
  private cursor = 0;
  private draft = '';

  constructor(private readonly max = 200) {}

  /** Records a sent line (consecutive duplicates once) and stops walking. */
  add(line: string): void {
    if (line !== '' && this.lines[this.lines.length - 1] !== line) {
      this.lines.push(line);
      if (this.lines.length > this.max) this.lines.shift();
    }
    this.cursor = this.lines.length;
    this.draft = '';
  }

  /** The older line to show instead of `current`, or null at the oldest. */
  previous(current: string): string | null {
    if (this.cursor === 0) return null;
    if (this.cursor === this.lines.length) this.draft = current;
    this.cursor--;
    return this.lines[this.cursor] ?? null;
  }

  /** The newer line (or the draft), or null when not walking. */
  next(): string | null {
    if (this.cursor >= this.lines.length) return null;
    this.cursor++;
    return this.cursor === this.lines.length ? this.draft : (this.lines[this.cursor] ?? null);
  }

  get size(): number {
    return this.lines.length;
  }
}

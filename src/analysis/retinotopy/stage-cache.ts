/**
 * One stage's last result and the parameters it was made with (their key). A result still being
 * computed is shared by callers asking with the same key; a computation that fails is forgotten,
 * so the next call tries again.
 */
export class StageCache<T> {
  private entry: { key: string; value: Promise<T> } | undefined;
  /** How many times the stage was computed. */
  runs = 0;

  get(key: string, compute: () => Promise<T>): Promise<T> {
    if (this.entry?.key === key) return this.entry.value;
    let value: Promise<T>;
    try {
      value = compute();
    } catch (error) {
      value = Promise.reject(error);
    }
    const entry = { key, value };
    this.entry = entry;
    this.runs++;
    value.catch(() => {
      if (this.entry === entry) this.entry = undefined;
    });
    return value;
  }

  clear(): void {
    this.entry = undefined;
  }
}

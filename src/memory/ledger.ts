import { G2gError } from '../errors';
import { copyBytes } from '../util/bytes';
import type { MemoryDomain } from './memory';

/** One CPU copy: who made it, how big, between which domains, and whether an explicit transfer asked for it. */
export interface CopyRecord {
  readonly element: string;
  readonly bytes: number;
  readonly from: MemoryDomain;
  readonly to: MemoryDomain;
  readonly reason: string;
  readonly explicit: boolean;
}

export interface CopySummary {
  readonly count: number;
  readonly bytes: number;
  readonly implicit: number;
  readonly byElement: Readonly<Record<string, { count: number; bytes: number }>>;
}

export class ImplicitCopyError extends G2gError {
  override readonly name = 'ImplicitCopyError';
  constructor(readonly record: CopyRecord) {
    super(
      'IMPLICIT_COPY',
      `${record.element}: implicit CPU copy of ${record.bytes} bytes (${record.from} → ${record.to}: ${record.reason}) refused in strict mode; insert an explicit transfer operator`
    );
  }
}

/**
 * The copy ledger: every CPU copy anywhere in a pipeline is recorded here and shows in stats.
 * Zero-copy is the rule; a copy is a fault to be counted, and in strict mode an implicit one throws.
 * Records are aggregated per element so a long-running pipeline does not grow memory.
 */
export class CopyLedger {
  private count = 0;
  private bytes = 0;
  private implicit = 0;
  private readonly perElement = new Map<string, { count: number; bytes: number }>();
  private readonly recent: CopyRecord[] = [];

  constructor(readonly strict = false, private readonly keepRecent = 64) {}

  record(record: CopyRecord): void {
    if (this.strict && !record.explicit) throw new ImplicitCopyError(record);
    this.count++;
    this.bytes += record.bytes;
    if (!record.explicit) this.implicit++;
    const e = this.perElement.get(record.element);
    if (e) {
      e.count++;
      e.bytes += record.bytes;
    } else {
      this.perElement.set(record.element, { count: 1, bytes: record.bytes });
    }
    if (this.recent.length === this.keepRecent) this.recent.shift();
    this.recent.push(record);
  }

  /** Copies `src` into new CPU memory and records it: the only sanctioned way to copy bytes. */
  copy(element: string, src: Uint8Array, reason: string, explicit = false): Uint8Array {
    this.record({ element, bytes: src.byteLength, from: 'cpu', to: 'cpu', reason, explicit });
    return copyBytes(src);
  }

  get recentRecords(): readonly CopyRecord[] {
    return this.recent;
  }

  summary(): CopySummary {
    return {
      count: this.count,
      bytes: this.bytes,
      implicit: this.implicit,
      byElement: Object.fromEntries([...this.perElement].map(([k, v]) => [k, { ...v }])),
    };
  }
}

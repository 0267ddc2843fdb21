import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { LineProtocol, LineSession } from '../../sim/line-simulator-server.ts';
import type { CvxOutputConfig } from './config.ts';
import {
  CountingPartSource,
  type DefectClass,
  DefectClasses,
  DefectModel,
  type DefectModelOptions,
  defaultDefectRates,
  type InspectedPart,
  type PartSource,
  type ToolFinding,
} from './cvx-defect-model.ts';
import type { CvxMode, CvxSdCard } from './cvx-protocol.ts';

/**
 * One field of a simulated program's result line. `total` is the overall judgement (0 OK, 1 NG);
 * `judgement`/`score` belong to the tool for one defect class; `x`/`y`/`width`/`height` are the
 * box of that tool's defect, or without a tool of the highest-scoring defect (zeros when clean).
 */
export type CvxSimField =
  | { source: 'total' }
  | { source: 'judgement' | 'score'; tool: DefectClass }
  | { source: 'x' | 'y' | 'width' | 'height'; tool?: DefectClass };

export interface CvxSimProgram {
  name: string;
  /** From the trigger's echo to the result line, ms. */
  processingMs: number;
  fields: CvxSimField[];
}

/** Programs by `"<sd>:<nnn>"`, e.g. `"1:000"`. */
export type CvxProgramTable = Record<string, CvxSimProgram>;

export const programKey = (sd: CvxSdCard, program: number) => `${sd}:${String(program).padStart(3, '0')}`;

/** The simulated line's programs: switching between them changes the result line. */
export function defaultProgramTable(processingMs = 25): CvxProgramTable {
  return {
    '1:000': {
      name: 'Housing: surface inspection',
      processingMs,
      fields: [
        { source: 'total' },
        { source: 'score', tool: 'scratch' },
        { source: 'score', tool: 'dent' },
        { source: 'score', tool: 'discoloration' },
        { source: 'score', tool: 'contamination' },
        { source: 'x' },
        { source: 'y' },
        { source: 'width' },
        { source: 'height' },
      ],
    },
    '1:001': {
      name: 'Housing: assembly check',
      processingMs,
      fields: [
        { source: 'total' },
        { source: 'judgement', tool: 'missing_component' },
        { source: 'score', tool: 'missing_component' },
        { source: 'score', tool: 'misalignment' },
        { source: 'x', tool: 'misalignment' },
        { source: 'y', tool: 'misalignment' },
      ],
    },
    '2:000': {
      name: 'Cover: edges and foreign objects',
      processingMs,
      fields: [
        { source: 'total' },
        { source: 'score', tool: 'edge_defect' },
        { source: 'score', tool: 'foreign_object' },
        { source: 'score', tool: 'scratch' },
      ],
    },
  };
}

const isDefectClass = (tool: string | undefined): tool is DefectClass =>
  (DefectClasses as readonly string[]).includes(tool ?? '');

/**
 * A program whose result line is what a driver's `outputs` map expects, so a simulated
 * instrument fits its own configuration: judgement → total (or that tool's judgement),
 * score → the tool's score, x/y → the box centre, measure → the box width. Gaps are zeros.
 */
export function programFromOutputs(outputs: CvxOutputConfig[], processingMs = 25): CvxSimProgram {
  const length = Math.max(...outputs.map((o) => o.index)) + 1;
  const fields: (CvxSimField | null)[] = Array.from({ length }, () => null);
  for (const o of outputs) {
    const tool = isDefectClass(o.tool) ? o.tool : undefined;
    if (o.kind === 'judgement') fields[o.index] = tool ? { source: 'judgement', tool } : { source: 'total' };
    else if (o.kind === 'score' && tool) fields[o.index] = { source: 'score', tool };
    else if (o.kind === 'x' || o.kind === 'y')
      fields[o.index] = { source: o.kind, ...(tool ? { tool } : {}) };
    else if (o.kind === 'measure') fields[o.index] = { source: 'width', ...(tool ? { tool } : {}) };
  }
  return {
    name: 'From the configured outputs',
    processingMs,
    fields: fields.map((f) => f ?? { source: 'width' }),
  };
}

/** One inspection the simulator ran, for tests and the line model. */
export interface CvxInspection {
  part: InspectedPart | undefined;
  station: number;
  program: string;
  /** Classes the program's tools found. */
  found: DefectClass[];
  line: string;
}

export interface CvxSimOptions {
  clock: Clock;
  /** The inspection station this camera stands at (selects the defect rates). */
  station?: number;
  /** Parts at the station; default a counter (each trigger sees the next part). */
  parts?: PartSource;
  defects?: Partial<DefectModelOptions>;
  programs?: CvxProgramTable;
  /** Cameras connected (T1..Tn); default 4. */
  cameras?: number;
}

const triggerPattern = /^T([A1-9])$/;

/**
 * The CV-X as its command port sees it. Run mode answers everything; setup mode (S0) refuses
 * triggers, program changes and reset with `ER,<cmd>,03`, as the real controller does; RM, R0,
 * S0, PR and CE work in both. A trigger is echoed at once, and the result line follows on the
 * same connection after the program's processing time (on the injected clock). A trigger while an
 * inspection is still running, or while an error is latched, is refused with 03 too. Unknown
 * commands get 02; bad or missing parameters (SD card, program number, an absent program) 22.
 */
export class CvxSimProtocol implements LineProtocol {
  readonly model: DefectModel;
  readonly programs: CvxProgramTable;
  /** The inspection station this camera stands at (the PartSource is asked for this one). */
  station: number;
  readonly cameras: number;
  mode: CvxMode = 'run';
  sd: CvxSdCard = 1;
  program = 0;
  /** False: triggers are echoed but no result line is sent (output disabled in the controller). */
  resultOutput = true;
  /** Set by `injectError` (e.g. a camera cable fault); cleared by CE. */
  errorLatched = false;
  /** The most recent inspections, newest last (bounded). */
  readonly inspections: CvxInspection[] = [];
  private readonly clock: Clock;
  private parts: PartSource;
  private running: TimerHandle | null = null;

  constructor(options: CvxSimOptions) {
    this.clock = options.clock;
    this.station = options.station ?? 1;
    this.parts = options.parts ?? new CountingPartSource();
    this.cameras = options.cameras ?? 4;
    this.programs = options.programs ?? defaultProgramTable();
    this.model = new DefectModel({ seed: 1, rates: defaultDefectRates, ...options.defects });
  }

  /** Where parts come from from now on (the line model, once it runs). */
  setPartSource(parts: PartSource): void {
    this.parts = parts;
  }

  injectError(): void {
    this.errorLatched = true;
  }

  get currentProgram(): CvxSimProgram {
    return this.programs[programKey(this.sd, this.program)]!;
  }

  handle(text: string, session?: LineSession): string | undefined {
    const line = text.trim();
    if (line === '') return undefined;
    const [header = '', ...params] = line.split(',');
    const refuse = (code: number) => `ER,${header},${String(code).padStart(2, '0')}`;
    const noParams = params.length === 0;
    const run = this.mode === 'run';
    switch (header) {
      case 'RM':
        return noParams ? `RM,${run ? 1 : 0}` : refuse(22);
      case 'R0':
        if (!noParams) return refuse(22);
        this.mode = 'run';
        return 'R0';
      case 'S0':
        if (!noParams) return refuse(22);
        this.cancelInspection();
        this.mode = 'setup';
        return 'S0';
      case 'PR':
        return noParams ? `PR,${this.sd},${String(this.program).padStart(3, '0')}` : refuse(22);
      case 'PW':
        return this.switchProgram(params, refuse, run);
      case 'RS':
        if (!noParams) return refuse(22);
        if (!run) return refuse(3);
        this.cancelInspection();
        return 'RS';
      case 'CE':
        if (!noParams) return refuse(22);
        this.errorLatched = false;
        return 'CE';
    }
    const trigger = triggerPattern.exec(header);
    if (!trigger) return refuse(2);
    if (!noParams || (trigger[1] !== 'A' && Number(trigger[1]) > this.cameras)) return refuse(22);
    if (!run || this.errorLatched || this.running) return refuse(3);
    this.startInspection(session);
    return header;
  }

  private switchProgram(params: string[], refuse: (code: number) => string, run: boolean): string {
    const [sd, program] = params;
    if (params.length !== 2 || (sd !== '1' && sd !== '2') || !/^\d{1,3}$/.test(program ?? ''))
      return refuse(22);
    if (!this.programs[programKey(Number(sd) as CvxSdCard, Number(program))]) return refuse(22);
    if (!run) return refuse(3);
    this.sd = Number(sd) as CvxSdCard;
    this.program = Number(program);
    return 'PW';
  }

  private startInspection(session: LineSession | undefined): void {
    const program = this.currentProgram;
    const key = programKey(this.sd, this.program);
    const part = this.parts.partAt(this.station);
    const inspection = this.inspect(part, program, key);
    this.running = this.clock.setTimeout(() => {
      this.running = null;
      this.inspections.push(inspection);
      if (this.inspections.length > 10_000) this.inspections.splice(0, 5_000);
      if (this.resultOutput && session?.open) session.send(inspection.line);
    }, program.processingMs);
  }

  private cancelInspection(): void {
    this.running?.cancel();
    this.running = null;
  }

  /** Runs the program's tools on a part. No part at the station is NG with every tool at 0. */
  private inspect(part: InspectedPart | undefined, program: CvxSimProgram, key: string): CvxInspection {
    const tools = new Set<DefectClass>();
    for (const f of program.fields) if ('tool' in f && f.tool) tools.add(f.tool);
    const findings = new Map<DefectClass, ToolFinding>();
    if (part) for (const tool of tools) findings.set(tool, this.model.inspect(part, this.station, tool));
    const found = [...findings.values()].filter((f) => f.defective);
    const worst = found.reduce<ToolFinding | undefined>(
      (w, f) => (!w || f.score > w.score ? f : w),
      undefined,
    );
    const total = !part || found.length > 0 ? 1 : 0;
    const values = program.fields.map((field) => {
      if (field.source === 'total') return String(total);
      const finding = field.tool ? findings.get(field.tool) : worst;
      if (field.source === 'judgement') return finding?.defective ? '1' : '0';
      if (field.source === 'score') return (finding?.score ?? 0).toFixed(1);
      const box = finding?.defective ? finding.box : { x: 0, y: 0, width: 0, height: 0 };
      return box[field.source].toFixed(1);
    });
    return {
      part,
      station: this.station,
      program: key,
      found: found.map((f) => f.defectClass),
      line: values.join(','),
    };
  }
}

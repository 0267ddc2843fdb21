import type { Clock } from '../../core/clock.ts';
import type { LineProtocol } from '../../sim/line-simulator-server.ts';
import type { AxisModel, VirtualLab } from '../../sim/virtual-lab.ts';
import { AxisError, axisErrorCode, esp300ErrorMessage, GeneralError } from './esp300-errors.ts';

/**
 * Lab millimetres per controller unit, by `SN` code. The simulated stages are linear; the
 * rotary units (deg … urad) are mapped 1:1 onto millimetres so every unit setting moves the
 * lab. Encoder counts and motor steps are 0.1 µm, a typical ESP stage resolution.
 */
const mmPerUnit = [1e-4, 1e-4, 1, 1e-3, 25.4, 0.0254, 2.54e-5, 1, 1, 1, 1, 1] as const;

const defaultLimitMm = 25;
const errorQueueDepth = 10;

interface ControllerAxis {
  model: AxisModel;
  unitCode: number;
  /** `VU`, in lab mm/s. */
  maxVelocityMm: number;
  /** False once a test "unplugs" the stage: motion commands then fail with x08. */
  stageConnected: boolean;
}

interface ParsedCommand {
  axis: number | null;
  mnemonic: string;
  query: boolean;
  parameter: string;
}

/**
 * The ESP300 as its serial port sees it, moving the shared lab's axes (axis 1 carries the
 * knife edge, axes 2–3 the camera's target). Accepts CR or CR LF, `;` command lists, zero-
 * padded axis numbers and both `TP`/`TP?` forms; setters answer nothing; every failure goes
 * to a 10-deep error queue read with `TE?` / `TB?`, as on the real controller.
 */
export class Esp300SimProtocol implements LineProtocol {
  static readonly axisCount = 3;
  static readonly version = 'ESP300 Version 3.04 07/30/03';
  private readonly clock: Clock;
  private readonly startedAt: number;
  private readonly axes: ControllerAxis[];
  private errors: { code: number; at: number }[] = [];
  private notices: string[] = [];

  constructor(lab: VirtualLab) {
    this.clock = lab.clock;
    this.startedAt = lab.clock.monotonic();
    this.axes = [1, 2, 3].map((n) => ({
      model: lab.axis(n),
      unitCode: 2,
      maxVelocityMm: lab.axis(n).maxVelocity,
      stageConnected: true,
    }));
  }

  handle(line: string): string[] | undefined {
    const replies = this.notices;
    this.notices = [];
    // Tolerates CR LF from hosts that send it: the LF arrives at the start of the next line.
    for (const text of line.split(';')) {
      const command = text.trim();
      if (command === '') continue;
      const reply = this.execute(command);
      if (reply !== undefined) replies.push(reply);
    }
    return replies.length > 0 ? replies : undefined;
  }

  /** Pulls the stage cable on an axis: a move in progress stops with x08, later motion commands fail. */
  disconnectStage(axis: number): void {
    const a = this.axisState(axis);
    a.stageConnected = false;
    if (a.model.isMoving()) {
      a.model.stop();
      this.pushError(axisErrorCode(axis, AxisError.stageNotConnected));
    }
  }

  connectStage(axis: number): void {
    this.axisState(axis).stageConnected = true;
  }

  /** Sends `line` unsolicited before the reply to the next command (the "E…" notices). */
  queueNotice(line: string): void {
    this.notices.push(line);
  }

  /** Error codes waiting in the queue, oldest first (for tests). */
  pendingErrors(): number[] {
    return this.errors.map((e) => e.code);
  }

  private axisState(axis: number): ControllerAxis {
    const a = this.axes[axis - 1];
    if (!a) throw new RangeError(`ESP300 simulator has no axis ${axis}`);
    return a;
  }

  private pushError(code: number): undefined {
    this.errors.push({ code, at: Math.round(this.clock.monotonic() - this.startedAt) });
    if (this.errors.length > errorQueueDepth) this.errors.shift();
    return undefined;
  }

  private parse(command: string): ParsedCommand | null {
    const match = /^(\d{1,2})?([A-Za-z]{2})(.*)$/.exec(command);
    if (!match) return null;
    const rest = match[3]!.trim();
    return {
      axis: match[1] === undefined ? null : Number(match[1]),
      mnemonic: match[2]!.toUpperCase(),
      query: rest.startsWith('?'),
      parameter: rest.startsWith('?') ? '' : rest,
    };
  }

  private execute(command: string): string | undefined {
    const parsed = this.parse(command);
    if (!parsed) return this.pushError(GeneralError.commandDoesNotExist);
    const { axis, mnemonic } = parsed;
    switch (mnemonic) {
      case 'VE':
        return Esp300SimProtocol.version;
      case 'TE':
        return String(this.errors.shift()?.code ?? 0);
      case 'TB':
        return this.errorRecord();
      case 'ZU':
        return this.axesPresent();
      case 'PH':
        return this.hardwareStatus();
      case 'SM':
        return undefined;
      case 'RS':
        return this.reset();
      case 'ST':
        if (axis === null) {
          for (const a of this.axes) a.model.stop();
          return undefined;
        }
        break;
    }
    if (!axisCommands.has(mnemonic)) return this.pushError(GeneralError.commandDoesNotExist);
    if (axis === null) return this.pushError(GeneralError.axisNumberMissing);
    if (axis < 1 || axis > Esp300SimProtocol.axisCount)
      return this.pushError(GeneralError.axisNumberOutOfRange);
    return this.executeOnAxis(axis, parsed);
  }

  private executeOnAxis(n: number, { mnemonic, query, parameter }: ParsedCommand): string | undefined {
    const a = this.axisState(n);
    const factor = mmPerUnit[a.unitCode]!;
    const units = (mm: number) => formatReply(mm / factor);
    switch (mnemonic) {
      case 'TP':
        return units(a.model.position());
      case 'DP':
        return units(a.model.desired);
      case 'MD':
        return a.model.isMoving() ? '0' : '1';
      case 'PA':
      case 'PR': {
        const value = this.numberParameter(parameter);
        if (value === null) return undefined;
        const targetMm = mnemonic === 'PA' ? value * factor : a.model.position() + value * factor;
        return this.startMove(n, a, targetMm);
      }
      case 'OR': {
        if (parameter !== '' && !/^[0-6]$/.test(parameter))
          return this.pushError(GeneralError.parameterOutOfRange);
        if (!this.canMove(n, a)) return undefined;
        a.model.home();
        return undefined;
      }
      case 'ST':
        a.model.stop();
        return undefined;
      case 'MO':
        if (query) return a.stageConnected && a.model.motorOn ? '1' : '0';
        if (!a.stageConnected) return this.pushError(axisErrorCode(n, AxisError.stageNotConnected));
        a.model.motorOn = true;
        return undefined;
      case 'MF':
        a.model.stop();
        a.model.motorOn = false;
        return undefined;
      case 'VA': {
        if (query) return units(a.model.velocity);
        const value = this.numberParameter(parameter);
        if (value === null) return undefined;
        if (value <= 0) return this.pushError(GeneralError.parameterOutOfRange);
        if (value * factor > a.maxVelocityMm + 1e-12)
          return this.pushError(axisErrorCode(n, AxisError.maximumVelocityExceeded));
        a.model.velocity = value * factor;
        return undefined;
      }
      case 'VU': {
        if (query) return units(a.maxVelocityMm);
        const value = this.numberParameter(parameter);
        if (value === null) return undefined;
        if (value <= 0) return this.pushError(GeneralError.parameterOutOfRange);
        a.maxVelocityMm = value * factor;
        return undefined;
      }
      case 'SN': {
        if (query) return String(a.unitCode);
        if (parameter === '') return this.pushError(GeneralError.commandParameterMissing);
        if (!/^\d{1,2}$/.test(parameter) || Number(parameter) >= mmPerUnit.length)
          return this.pushError(GeneralError.parameterOutOfRange);
        a.unitCode = Number(parameter);
        return undefined;
      }
      case 'SL':
      case 'SR': {
        if (query) return units(mnemonic === 'SL' ? a.model.minLimit : a.model.maxLimit);
        const value = this.numberParameter(parameter);
        if (value === null) return undefined;
        if (mnemonic === 'SL') a.model.minLimit = value * factor;
        else a.model.maxLimit = value * factor;
        return undefined;
      }
    }
    return this.pushError(GeneralError.commandDoesNotExist);
  }

  /** A numeric parameter, or null after queueing 38 (missing) or 7 (not a number). */
  private numberParameter(parameter: string): number | null {
    if (parameter === '') {
      this.pushError(GeneralError.commandParameterMissing);
      return null;
    }
    const value = Number(parameter);
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(parameter) || !Number.isFinite(value)) {
      this.pushError(GeneralError.parameterOutOfRange);
      return null;
    }
    return value;
  }

  private canMove(n: number, a: ControllerAxis): boolean {
    if (!a.stageConnected) {
      this.pushError(axisErrorCode(n, AxisError.stageNotConnected));
      return false;
    }
    if (!a.model.motorOn) {
      this.pushError(axisErrorCode(n, AxisError.motorNotEnabled));
      return false;
    }
    return true;
  }

  private startMove(n: number, a: ControllerAxis, targetMm: number): undefined {
    if (!this.canMove(n, a)) return undefined;
    // The controller refuses a move past a software limit outright: nothing moves.
    if (targetMm > a.model.maxLimit + 1e-9)
      return this.pushError(axisErrorCode(n, AxisError.positiveSoftwareLimit));
    if (targetMm < a.model.minLimit - 1e-9)
      return this.pushError(axisErrorCode(n, AxisError.negativeSoftwareLimit));
    a.model.moveTo(Math.min(a.model.maxLimit, Math.max(a.model.minLimit, targetMm)));
    return undefined;
  }

  private errorRecord(): string {
    const error = this.errors.shift();
    const code = error?.code ?? 0;
    const at = error?.at ?? Math.round(this.clock.monotonic() - this.startedAt);
    return `${code}, ${at}, ${esp300ErrorMessage(code)}`;
  }

  /** `ZU`: a bit per axis with a stage attached, hex with the controller's `H` suffix. */
  private axesPresent(): string {
    const mask = this.axes.reduce((m, a, i) => (a.stageConnected ? m | (1 << i) : m), 0);
    return `${mask.toString(16).toUpperCase()}H`;
  }

  /**
   * `PH`: two hex words as EPICS reads them — limit switches (bit n-1 positive, n+7 negative)
   * and home switches (bit n-1). The simulated stages stop at their software limits, inside
   * the hardware switches, so only the home switch (at position 0) ever shows.
   */
  private hardwareStatus(): string {
    const home = this.axes.reduce((m, a, i) => (a.model.position() === 0 ? m | (1 << i) : m), 0);
    return `0H, ${home.toString(16).toUpperCase()}H`;
  }

  private reset(): undefined {
    this.errors = [];
    for (const a of this.axes) {
      a.model.stop();
      a.model.motorOn = true;
      a.model.minLimit = -defaultLimitMm;
      a.model.maxLimit = defaultLimitMm;
      a.unitCode = 2;
      a.maxVelocityMm = a.model.maxVelocity;
    }
    return undefined;
  }
}

/** Mnemonics that need an axis number. */
const axisCommands = new Set('TP DP MD PA PR OR ST MO MF VA VU SN SL SR'.split(' '));

function formatReply(value: number): string {
  const text = value.toFixed(5);
  return /^-0\.0*$/.test(text) ? text.slice(1) : text;
}

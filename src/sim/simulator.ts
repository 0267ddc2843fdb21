/** A wire-level simulator: listens where a real instrument (or its serial device server) would. */
export interface SimulatorServer {
  /** Instrument type it imitates, for `benchtop sim` output. */
  readonly type: string;
  listen(port: number, host: string): Promise<{ host: string; port: number }>;
  close(): Promise<void>;
}

import { type RefObject, useEffect, useRef } from 'react';
import uPlot from 'uplot';
import { formatNumber } from '../live/format.ts';

export type PlotOptions = Omit<uPlot.Options, 'width' | 'height'>;

interface Props {
  /** Options; a new object rebuilds the chart (series added or removed), so memoise it. */
  options: PlotOptions;
  /** Initial data, and new data when it changes through React (live plots call setData on plotRef instead). */
  data: uPlot.AlignedData;
  height?: number;
  /** What the plot shows, for assistive technology and tests. */
  label: string;
  plotRef?: RefObject<uPlot | null>;
}

/**
 * A uPlot chart sized to its container. Live views keep React out of the update path: they
 * hold `plotRef` and call `setData` themselves (once per animation frame at most).
 */
export function Plot(props: Props) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const dataRef = useRef(props.data);
  dataRef.current = props.data;
  const height = props.height ?? 260;
  const { plotRef } = props;

  useEffect(() => {
    const el = container.current!;
    const u = new uPlot(
      { ...props.options, width: Math.max(200, el.clientWidth), height },
      dataRef.current,
      el,
    );
    plot.current = u;
    if (plotRef) plotRef.current = u;
    const observer = new ResizeObserver(() => {
      const width = Math.max(200, el.clientWidth);
      if (width !== u.width) u.setSize({ width, height });
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      u.destroy();
      plot.current = null;
      if (plotRef) plotRef.current = null;
    };
  }, [props.options, height, plotRef]);

  useEffect(() => {
    plot.current?.setData(props.data);
  }, [props.data]);

  return <figure className="plot" aria-label={props.label} ref={container} />;
}

/** A value axis whose tick labels stay readable for tiny or huge values (4e-8 W is not "0"). */
export function valueAxis(extra: uPlot.Axis = {}): uPlot.Axis {
  return {
    size: 80,
    values: (_u, splits) => splits.map((v) => (v === null ? '' : formatNumber(v))),
    ...extra,
  };
}

/** Axis and cursor settings shared by the dashboard's plots. */
export function baseOptions(overrides: Partial<PlotOptions> = {}): PlotOptions {
  return {
    legend: { show: true, live: true },
    cursor: { drag: { x: true, y: false } },
    series: [{}],
    axes: [{}, valueAxis()],
    ...overrides,
  };
}

import type { StimulusProtocol } from '../../../src/instruments/stimulus-display/protocol-schedule.ts';

/**
 * Draws one stimulus frame with WebGL: each fragment's screen position → cm from the eye's foot
 * point → azimuth/altitude (Marshel et al. 2011, as src/instruments/stimulus-display/
 * display-geometry.ts), then the bar and checkerboard as `luminanceAt` in protocol-schedule.ts.
 * Nothing but a few uniforms changes per frame.
 */

const VERTEX = `
attribute vec2 position;
void main() { gl_Position = vec4(position, 0.0, 1.0); }
`;

const FRAGMENT = `
precision highp float;
uniform vec2 canvasPx;
uniform vec2 screenCm;
uniform vec2 eyeCm;
uniform float distanceCm;
uniform float spherical;
uniform float axis;       // 0 none, 1 azimuth, 2 altitude
uniform float barDeg;
uniform float barWidthDeg;
uniform float checkerDeg;
uniform float polarity;
uniform float contrast;
uniform float background;
uniform float patch;      // photodiode corner patch: 0 or 1, -1 = none
const float DEG = 57.29577951308232;
void main() {
  // gl_FragCoord has y up from the bottom edge.
  vec2 uv = gl_FragCoord.xy / canvasPx;
  float y = uv.x * screenCm.x - screenCm.x * 0.5 - eyeCm.x;
  float z = uv.y * screenCm.y - screenCm.y * 0.5 - eyeCm.y;
  float az = atan(y, distanceCm) * DEG;
  float alt = spherical > 0.5 ? atan(z, sqrt(distanceCm * distanceCm + y * y)) * DEG : atan(z, distanceCm) * DEG;
  float lum = background;
  if (axis > 0.5) {
    float c = axis < 1.5 ? az : alt;
    if (abs(c - barDeg) <= barWidthDeg * 0.5) {
      float check = mod(floor(az / checkerDeg) + floor(alt / checkerDeg) + polarity, 2.0);
      lum = clamp(background + (check < 0.5 ? contrast : -contrast), 0.0, 1.0);
    }
  }
  if (patch >= 0.0 && gl_FragCoord.x < 48.0 && gl_FragCoord.y < 48.0) lum = patch;
  gl_FragColor = vec4(vec3(lum), 1.0);
}
`;

export interface BarFrame {
  axis: 0 | 1 | 2;
  barDeg: number;
  polarity: number;
  /** Photodiode patch level, or -1 for none. */
  patch: number;
}

export class BarRenderer {
  private readonly gl: WebGLRenderingContext;
  private readonly uniforms: Record<string, WebGLUniformLocation | null>;
  private readonly canvas: HTMLCanvasElement;

  constructor(canvas: HTMLCanvasElement, protocol: StimulusProtocol) {
    this.canvas = canvas;
    const gl = canvas.getContext('webgl', { antialias: false, preserveDrawingBuffer: false });
    if (!gl) throw new Error('WebGL is not available in this browser');
    this.gl = gl;
    const program = gl.createProgram()!;
    for (const [type, source] of [
      [gl.VERTEX_SHADER, VERTEX],
      [gl.FRAGMENT_SHADER, FRAGMENT],
    ] as const) {
      const shader = gl.createShader(type)!;
      gl.shaderSource(shader, source);
      gl.compileShader(shader);
      if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS))
        throw new Error(`stimulus shader: ${gl.getShaderInfoLog(shader)}`);
      gl.attachShader(program, shader);
    }
    gl.linkProgram(program);
    if (!gl.getProgramParameter(program, gl.LINK_STATUS))
      throw new Error(`stimulus program: ${gl.getProgramInfoLog(program)}`);
    // biome-ignore lint/correctness/useHookAtTopLevel: WebGL's useProgram, not a React hook.
    gl.useProgram(program);
    const buffer = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array([-1, -1, 1, -1, -1, 1, 1, 1]), gl.STATIC_DRAW);
    const position = gl.getAttribLocation(program, 'position');
    gl.enableVertexAttribArray(position);
    gl.vertexAttribPointer(position, 2, gl.FLOAT, false, 0, 0);
    const names = [
      'canvasPx',
      'screenCm',
      'eyeCm',
      'distanceCm',
      'spherical',
      'axis',
      'barDeg',
      'barWidthDeg',
      'checkerDeg',
      'polarity',
      'contrast',
      'background',
      'patch',
    ];
    this.uniforms = Object.fromEntries(names.map((n) => [n, gl.getUniformLocation(program, n)]));
    const g = protocol.geometry;
    gl.uniform2f(this.uniforms.screenCm!, g.widthCm, g.heightCm);
    gl.uniform2f(this.uniforms.eyeCm!, g.eyeXCm, g.eyeYCm);
    gl.uniform1f(this.uniforms.distanceCm!, g.distanceCm);
    gl.uniform1f(this.uniforms.spherical!, g.sphericalCorrection ? 1 : 0);
    gl.uniform1f(this.uniforms.barWidthDeg!, protocol.barWidthDeg);
    gl.uniform1f(this.uniforms.checkerDeg!, protocol.checkerSizeDeg);
    gl.uniform1f(this.uniforms.contrast!, protocol.contrast);
    gl.uniform1f(this.uniforms.background!, protocol.background);
  }

  draw(frame: BarFrame): void {
    const gl = this.gl;
    const canvas = this.canvas;
    const uniforms = this.uniforms;
    const width = Math.max(1, Math.round(canvas.clientWidth * devicePixelRatio));
    const height = Math.max(1, Math.round(canvas.clientHeight * devicePixelRatio));
    if (canvas.width !== width || canvas.height !== height) {
      canvas.width = width;
      canvas.height = height;
    }
    gl.viewport(0, 0, width, height);
    gl.uniform2f(uniforms.canvasPx!, width, height);
    gl.uniform1f(uniforms.axis!, frame.axis);
    gl.uniform1f(uniforms.barDeg!, frame.barDeg);
    gl.uniform1f(uniforms.polarity!, frame.polarity);
    gl.uniform1f(uniforms.patch!, frame.patch);
    gl.drawArrays(gl.TRIANGLE_STRIP, 0, 4);
  }
}

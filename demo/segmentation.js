// Image segmentation helpers: the embedded sample picture (drawn procedurally, nothing downloaded),
// loading a user's file, RGB pixels as an n x 3 matrix, and painting each pixel with its component's mean.

/** Draws the sample picture (a landscape with a house) into a new canvas of the given size. */
export function drawSample(width = 480, height = 320) {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  const W = width;
  const H = height;
  const sky = g.createLinearGradient(0, 0, 0, H * 0.65);
  sky.addColorStop(0, '#3d6fb6');
  sky.addColorStop(1, '#a9cbe8');
  g.fillStyle = sky;
  g.fillRect(0, 0, W, H);
  // sun
  g.fillStyle = '#f9d65b';
  g.beginPath();
  g.arc(W * 0.8, H * 0.2, H * 0.09, 0, 2 * Math.PI);
  g.fill();
  // far mountains and near hills
  const ridge = (base, amp, freq, phase, fill) => {
    g.fillStyle = fill;
    g.beginPath();
    g.moveTo(0, H);
    for (let x = 0; x <= W; x += 4) g.lineTo(x, H * (base + amp * Math.sin((x / W) * freq + phase) + 0.4 * amp * Math.sin((x / W) * freq * 3.1)));
    g.lineTo(W, H);
    g.closePath();
    g.fill();
  };
  ridge(0.5, 0.08, 7, 0.3, '#6d7f99');
  ridge(0.64, 0.05, 5, 2, '#4f8a3c');
  ridge(0.76, 0.03, 9, 1, '#8cc152');
  // lake
  g.fillStyle = '#2f5f9e';
  g.beginPath();
  g.ellipse(W * 0.2, H * 0.9, W * 0.22, H * 0.07, 0, 0, 2 * Math.PI);
  g.fill();
  // house: wall, roof, door, window
  g.fillStyle = '#e8e0c8';
  g.fillRect(W * 0.55, H * 0.6, W * 0.16, H * 0.16);
  g.fillStyle = '#b8372f';
  g.beginPath();
  g.moveTo(W * 0.53, H * 0.61);
  g.lineTo(W * 0.63, H * 0.48);
  g.lineTo(W * 0.73, H * 0.61);
  g.closePath();
  g.fill();
  g.fillStyle = '#5a3a22';
  g.fillRect(W * 0.6, H * 0.67, W * 0.035, H * 0.09);
  g.fillStyle = '#3d6fb6';
  g.fillRect(W * 0.66, H * 0.65, W * 0.035, H * 0.045);
  // tree
  g.fillStyle = '#5a3a22';
  g.fillRect(W * 0.84, H * 0.6, W * 0.02, H * 0.14);
  g.fillStyle = '#2e6b2a';
  g.beginPath();
  g.arc(W * 0.85, H * 0.56, H * 0.08, 0, 2 * Math.PI);
  g.fill();
  // light sensor noise, seeded, so fits are repeatable
  const img = g.getImageData(0, 0, W, H);
  let s = 12345;
  const rand = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  for (let i = 0; i < img.data.length; i += 4) {
    const n = (rand() + rand() - 1) * 10;
    for (let c = 0; c < 3; c++) img.data[i + c] = Math.max(0, Math.min(255, img.data[i + c] + n));
  }
  g.putImageData(img, 0, 0);
  return canvas;
}

/** Draws an image file into a canvas, scaled down so it has at most maxPixels pixels. */
export async function loadImageFile(file, maxPixels = 1_000_000) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, Math.sqrt(maxPixels / (bitmap.width * bitmap.height)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return canvas;
}

/** The RGB values of a canvas as an n x 3 Float32Array (alpha ignored). */
export function rgbPixels(canvas) {
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  const n = canvas.width * canvas.height;
  const out = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[3 * i] = data[4 * i];
    out[3 * i + 1] = data[4 * i + 1];
    out[3 * i + 2] = data[4 * i + 2];
  }
  return out;
}

/** Paints every pixel with the mean colour of its component. */
export function paintSegments(canvas, width, height, labels, means) {
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  const img = g.createImageData(width, height);
  const palette = means.map((m) => m.map((v) => Math.max(0, Math.min(255, Math.round(v)))));
  for (let i = 0; i < labels.length; i++) {
    const p = palette[labels[i]];
    img.data[4 * i] = p[0];
    img.data[4 * i + 1] = p[1];
    img.data[4 * i + 2] = p[2];
    img.data[4 * i + 3] = 255;
  }
  g.putImageData(img, 0, 0);
  return palette;
}

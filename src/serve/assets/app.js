// Upload page: sends the picked image to POST /invocations once (at a low threshold), then
// draws boxes, labels and scores above the slider's threshold on a canvas, client-side, so the
// slider reacts instantly. No dependencies.
'use strict';

// The page asks for everything above this score once and filters with the slider;
// `/?min_score=0` shows even the faintest detections (e.g. of an untrained model).
const QUERY_THRESHOLD = (() => {
  const v = parseFloat(new URLSearchParams(window.location.search).get('min_score'));
  return Number.isFinite(v) && v >= 0 && v <= 1 ? v : 0.05;
})();
const MAX_UPLOAD_BYTES = 18 * 1024 * 1024;
const $ = (id) => document.getElementById(id);
const state = { image: null, prediction: null };

function colourFor(classId) {
  const hue = (classId * 137.508 + 20) % 360;
  return `hsl(${hue.toFixed(0)}, 85%, 50%)`;
}

function setStatus(text, isError = false) {
  $('status').textContent = text;
  $('status').classList.toggle('error', isError);
}

async function loadVersion() {
  try {
    const r = await fetch('/version');
    const v = await r.json();
    $('model').textContent = v.model ? `model ${v.model}` : 'model loading…';
  } catch (e) {
    $('model').textContent = 'server unreachable';
  }
}

// Photos that are not JPEG/PNG (HEIC from a phone) or too large are re-encoded as JPEG.
async function toUploadable(file, image) {
  if ((file.type === 'image/jpeg' || file.type === 'image/png') && file.size <= MAX_UPLOAD_BYTES) {
    return { body: file, type: file.type };
  }
  const scale = Math.min(1, 4096 / Math.max(image.naturalWidth, image.naturalHeight));
  const c = document.createElement('canvas');
  c.width = Math.round(image.naturalWidth * scale);
  c.height = Math.round(image.naturalHeight * scale);
  c.getContext('2d').drawImage(image, 0, 0, c.width, c.height);
  const blob = await new Promise((resolve) => c.toBlob(resolve, 'image/jpeg', 0.92));
  return { body: blob, type: 'image/jpeg', scale };
}

function loadImage(file) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the browser cannot read this file as an image'));
    img.src = URL.createObjectURL(file);
  });
}

async function detect(file) {
  setStatus(`Detecting in ${file.name}…`);
  let image;
  try {
    image = await loadImage(file);
  } catch (e) {
    setStatus(e.message, true);
    return;
  }
  const upload = await toUploadable(file, image);
  const started = performance.now();
  let response, body;
  try {
    response = await fetch(`/invocations?score_threshold=${QUERY_THRESHOLD}`, {
      method: 'POST', headers: { 'Content-Type': upload.type }, body: upload.body,
    });
    body = await response.json();
  } catch (e) {
    setStatus(`Request failed: ${e.message}`, true);
    return;
  }
  if (!response.ok) {
    setStatus(`Error ${response.status}: ${body.error || response.statusText}`, true);
    return;
  }
  // Boxes come in the uploaded image's pixels; map them back if it was re-encoded smaller.
  const k = upload.scale ? 1 / upload.scale : 1;
  body.detections.forEach((d) => { d.box = d.box.map((v) => v * k); });
  state.image = image;
  state.prediction = body;
  $('model').textContent = `model ${body.model}`;
  const ms = (performance.now() - started).toFixed(0);
  setStatus(`${file.name}: ${body.width}×${body.height}, answered in ${ms} ms`);
  render();
}

function render() {
  const { image, prediction } = state;
  if (!image || !prediction) return;
  const threshold = parseFloat($('threshold').value);
  const shown = prediction.detections.filter((d) => d.score >= threshold);
  const canvas = $('canvas');
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  const unit = Math.max(1, Math.max(canvas.width, canvas.height) / 640);
  ctx.lineWidth = 3 * unit;
  ctx.font = `600 ${Math.round(15 * unit)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const d of shown) {
    const [x1, y1, x2, y2] = d.box;
    const colour = colourFor(d.class_id);
    ctx.strokeStyle = colour;
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    const text = `${d.label} ${d.score.toFixed(2)}`;
    const pad = 4 * unit;
    const w = ctx.measureText(text).width + 2 * pad;
    const h = 15 * unit + 2 * pad;
    const ty = y1 - h >= 0 ? y1 - h : y1;
    ctx.fillStyle = colour;
    ctx.fillRect(x1 - ctx.lineWidth / 2, ty, w, h);
    ctx.fillStyle = '#fff';
    ctx.fillText(text, x1 - ctx.lineWidth / 2 + pad, ty + pad);
  }
  const tbody = $('detections').querySelector('tbody');
  tbody.replaceChildren();
  for (const d of prediction.detections) {
    const tr = document.createElement('tr');
    tr.className = d.score >= threshold ? 'detection' : 'detection hidden';
    const label = document.createElement('td');
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colourFor(d.class_id);
    label.append(swatch, d.label);
    const score = document.createElement('td');
    score.className = 'score';
    score.textContent = d.score.toFixed(3);
    const box = document.createElement('td');
    box.className = 'box';
    box.textContent = d.box.map((v) => v.toFixed(0)).join(', ');
    tr.append(label, score, box);
    tbody.append(tr);
  }
  if (shown.length === 0) {
    const tr = document.createElement('tr');
    const td = document.createElement('td');
    td.colSpan = 3;
    td.textContent = 'No detections above the threshold.';
    tr.append(td);
    tbody.append(tr);
  }
  $('result').hidden = false;
  document.body.dataset.detections = String(shown.length);
}

function init() {
  const drop = $('drop');
  $('file').addEventListener('change', (e) => {
    if (e.target.files.length) detect(e.target.files[0]);
  });
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    if (e.dataTransfer.files.length) detect(e.dataTransfer.files[0]);
  });
  $('threshold').addEventListener('input', () => {
    $('threshold-value').textContent = parseFloat($('threshold').value).toFixed(2);
    render();
  });
  loadVersion();
}

init();

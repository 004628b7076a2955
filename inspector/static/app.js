// The opcharts inspector page: plain JS, no build step, no network beyond this server's JSON API.
// Everything it shows is computed by the server (inspector/server.ts) from the package's own code.

const $ = (sel) => document.querySelector(sel);
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const k of kids.flat()) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : String(k));
  return e;
};

async function api(path, init) {
  const res = await fetch(path, init);
  const body = res.headers.get('content-type')?.startsWith('application/json') ? await res.json() : await res.text();
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status} ${path}`);
  return body;
}

const state = {
  machines: [],
  machine: null, // selected machine name
  traces: [],
  traceId: null,
  trace: null,
  step: 0,
  instance: {}, // machine name -> chosen instance key
};
const svgText = new Map();

function showError(message) {
  $('#error').textContent = message ?? '';
}

// ---- URL hash: #machine=NAME&trace=ID&step=N --------------------------------------------------
function readHash() {
  const p = new URLSearchParams(location.hash.slice(1));
  return { machine: p.get('machine'), trace: p.get('trace'), step: p.get('step') };
}
function writeHash() {
  const p = new URLSearchParams();
  if (state.machine) p.set('machine', state.machine);
  if (state.traceId !== null) {
    p.set('trace', String(state.traceId));
    p.set('step', String(state.step));
  }
  const hash = `#${p}`;
  if (location.hash !== hash) history.replaceState(null, '', hash);
}

// ---- diagrams --------------------------------------------------------------------------------
async function diagramSvg(name) {
  if (!svgText.has(name)) {
    svgText.set(
      name,
      api(`/api/machines/${encodeURIComponent(name)}/diagram.svg`).catch(async () => {
        // No fresh rendered SVG (not generated yet, or the machine changed since): render the
        // Mermaid source here with the same id scheme, or show the source when mermaid is absent.
        const src = await api(`/api/machines/${encodeURIComponent(name)}/mermaid`);
        const mermaid = await loadMermaid();
        if (mermaid) {
          try {
            return (await mermaid.render(`svg-${name}`, src)).svg;
          } catch {
            // fall through to the source
          }
        }
        return `<pre class="mermaid-source">${src.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c])}</pre>`;
      }),
    );
  }
  return svgText.get(name);
}

const idPart = (s) => s.replace(/[()]/g, '').replaceAll('.', '_');
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The diagram elements of a state value string (`Maintainer.Running`, `a.x,b.y`): the leaves and their ancestors. */
function stateElements(container, machine, value) {
  const leaves = [];
  const parents = [];
  for (const part of String(value).split(',')) {
    const path = idPart(part).split('_');
    const all = [...container.querySelectorAll(`[id^="svg-${machine}-state-"]`)];
    const match = (p) => {
      const re = new RegExp(`^svg-${escapeRe(machine)}-state-${escapeRe(p)}-\\d+$`);
      return all.filter((e) => re.test(e.id));
    };
    leaves.push(...match(path.join('_')));
    for (let i = 1; i < path.length; i++) parents.push(...match(path.slice(0, i).join('_')));
  }
  return { leaves, parents };
}

function highlight(container, machine, chosen, others) {
  for (const e of container.querySelectorAll('.active-state, .other-state, .active-parent')) e.classList.remove('active-state', 'other-state', 'active-parent');
  for (const v of others) for (const e of stateElements(container, machine, v).leaves) e.classList.add('other-state');
  if (chosen === null) return;
  const { leaves, parents } = stateElements(container, machine, chosen);
  for (const e of leaves) {
    e.classList.remove('other-state');
    e.classList.add('active-state');
  }
  for (const e of parents) e.classList.add('active-parent');
}

const instanceKey = (m) => (m.changefeedId ? `${m.node}/${m.changefeedId}` : m.node);

/** This step's instances of a machine: [{ key, state }]. */
function instancesOf(machine) {
  if (!state.trace) return [];
  return state.trace.steps[state.step].machines.filter((m) => m.machine === machine).map((m) => ({ key: instanceKey(m), state: m.state }));
}
function involvedMachines() {
  if (!state.trace) return [];
  const names = new Set(state.trace.steps.flatMap((s) => s.machines.map((m) => m.machine)));
  return state.machines.map((m) => m.name).filter((n) => names.has(n));
}

/** A diagram card: title, one chip per instance (choose whose state is highlighted), fit/actual size. */
async function diagramCard(name, withChips) {
  const box = el('div', { class: 'diagram', 'data-machine': name });
  const chips = el('span', { class: 'chips' });
  const zoom = el('button', { class: 'zoom', title: 'fit to width / actual size', onclick: () => setFit(box, !box.classList.contains('fit')) }, 'zoom');
  const card = el('div', { class: 'diagram-card', 'data-machine': name }, el('h3', {}, el('span', { class: 'name' }, name), withChips ? chips : null, zoom), box);
  box.innerHTML = await diagramSvg(name);
  // A wide diagram is unreadable when fitted: show it at actual size, scrolled to the active state.
  setFit(box, svgWidth(box) <= 2600);
  return card;
}

function svgWidth(box) {
  const vb = box.querySelector('svg')?.viewBox?.baseVal;
  return vb && vb.width ? vb.width : 0;
}
function setFit(box, fit) {
  box.classList.toggle('fit', fit);
  const svg = box.querySelector('svg');
  if (svg) svg.style.width = fit ? '' : `${svgWidth(box)}px`;
  scrollToActive(box);
}
/** Scrolls the diagram's own box (not the page) so that the highlighted state is in view. */
function scrollToActive(box) {
  const target = box.querySelector('.active-state');
  if (!target || box.classList.contains('fit')) return;
  const t = target.getBoundingClientRect();
  const b = box.getBoundingClientRect();
  box.scrollLeft += t.left + t.width / 2 - (b.left + b.width / 2);
  box.scrollTop += t.top + t.height / 2 - (b.top + b.height / 2);
}

function updateCard(card) {
  const name = card.dataset.machine;
  const instances = instancesOf(name);
  const chips = card.querySelector('.chips');
  const box = card.querySelector('.diagram');
  if (!instances.length) {
    const note = !state.trace ? '' : involvedMachines().includes(name) ? 'no live instance at this step' : 'not part of this trace';
    if (chips) chips.replaceChildren(el('span', { class: 'down' }, note));
    highlight(box, name, null, []);
    return;
  }
  let chosen = instances.find((i) => i.key === state.instance[name]);
  if (!chosen) chosen = instances[0];
  if (chips) {
    chips.replaceChildren(
      ...instances.map((i) =>
        el(
          'button',
          {
            class: 'chip',
            'aria-pressed': String(i === chosen),
            'data-instance': i.key,
            onclick: () => {
              state.instance[name] = i.key;
              render();
            },
          },
          `${i.key}: ${i.state}`,
        ),
      ),
    );
  }
  highlight(box, name, chosen.state, instances.filter((i) => i !== chosen).map((i) => i.state));
  box.dataset.activeState = chosen.state;
  box.dataset.activeInstance = chosen.key;
  scrollToActive(box);
}

// ---- world, sequence, violation --------------------------------------------------------------
function cell(value, prevValue, cls) {
  const changed = prevValue !== undefined && prevValue !== value;
  return el('td', { class: [changed ? 'changed' : '', cls ?? ''].join(' ').trim() || undefined }, value ?? '—');
}

function renderWorld(step, prev) {
  const t = state.trace;
  const drain = (s, node) => s?.machines.find((m) => m.machine === 'nodeDrainTarget' && m.node === node)?.state;
  const nodes = el(
    'table',
    { id: 'world-nodes' },
    el('caption', {}, 'nodes'),
    el('tr', {}, el('th', {}, 'node'), el('th', {}, 'process'), el('th', {}, 'node epoch'), el('th', {}, 'liveness'), el('th', {}, 'drain target')),
    ...t.nodes.map((id) => {
      const n = step.nodes[id];
      const p = prev?.nodes[id];
      return el(
        'tr',
        { 'data-node': id },
        el('th', {}, id),
        cell(n.up ? 'up' : 'down', p && (p.up ? 'up' : 'down'), n.up ? '' : 'down'),
        cell(n.nodeEpoch, p?.nodeEpoch),
        cell(n.liveness, p?.liveness, n.up ? 'liveness' : 'liveness down'),
        cell(n.up ? drain(step, id) ?? '—' : '—', prev ? (p?.up ? drain(prev, id) ?? '—' : '—') : undefined),
      );
    }),
  );
  const owners = el(
    'table',
    { id: 'world-owners' },
    el('caption', {}, 'maintainers and dispatchers (in memory, per node)'),
    el('tr', {}, el('th', {}, 'changefeed'), el('th', {}, 'node'), el('th', {}, 'maintainer'), el('th', {}, 'maintainer epoch'), el('th', {}, 'dispatcher manager'), el('th', {}, 'owner epoch'), el('th', {}, 'tombstone')),
    ...t.changefeeds.flatMap((cf) =>
      t.nodes.map((id) => {
        const c = step.nodes[id]?.changefeeds?.[cf];
        const p = prev?.nodes[id]?.changefeeds?.[cf];
        if (!c) return el('tr', { 'data-node': id, 'data-changefeed': cf }, el('td', {}, cf), el('th', {}, id), el('td', { class: 'down', colspan: 5 }, 'node down'));
        return el(
          'tr',
          { 'data-node': id, 'data-changefeed': cf },
          el('td', {}, cf),
          el('th', {}, id),
          cell(c.maintainer, prev ? p?.maintainer : undefined, 'maintainer'),
          cell(c.maintainerEpoch, prev ? p?.maintainerEpoch : undefined, 'maintainer-epoch'),
          cell(c.manager, prev ? p?.manager : undefined, 'manager'),
          cell(c.ownerEpoch, prev ? p?.ownerEpoch : undefined, 'owner-epoch'),
          cell(c.tombstone ?? '—', prev ? p?.tombstone ?? '—' : undefined, 'tombstone'),
        );
      }),
    ),
  );
  const store = el(
    'table',
    { id: 'world-store' },
    el('caption', {}, 'store (persisted)'),
    el('tr', {}, el('th', {}, 'changefeed'), el('th', {}, 'epoch'), el('th', {}, 'state'), el('th', {}, 'progress'), el('th', {}, 'checkpoint ts')),
    ...t.changefeeds.map((cf) => {
      const s = step.store[cf];
      const p = prev?.store[cf];
      if (!s) return el('tr', { 'data-changefeed': cf }, el('th', {}, cf), el('td', { class: 'down', colspan: 4 }, 'absent'));
      return el('tr', { 'data-changefeed': cf }, el('th', {}, cf), cell(s.epoch, prev ? p?.epoch : undefined, 'store-epoch'), cell(s.state, prev ? p?.state : undefined), cell(s.progress, prev ? p?.progress : undefined), cell(s.checkpointTs, prev ? p?.checkpointTs : undefined));
    }),
  );
  // The composed coordinator's in-memory view (§4 M[cf], OPS, BUMPING, SESSION), when the trace has one.
  const c = step.coordinator;
  const pc = prev?.coordinator;
  const coordinator = !c
    ? null
    : el(
        'table',
        { id: 'world-coordinator' },
        el('caption', {}, c.up ? `coordinator v${c.version}${c.initialized ? '' : ' (bootstrapping)'}${c.pdAvailable ? '' : ', PD down'} — drain session: ${c.drainSession ? `${c.drainSession.target} @${c.drainSession.epoch}` : 'none'}` : `coordinator down (last version ${c.version})`),
        el('tr', {}, el('th', {}, 'changefeed'), el('th', {}, 'in-memory epoch'), el('th', {}, 'state'), el('th', {}, 'placement'), el('th', {}, 'operator'), el('th', {}, 'bump')),
        ...t.changefeeds.map((cf) => {
          const x = c.changefeeds?.[cf];
          const px = pc?.changefeeds?.[cf];
          if (!x) return el('tr', { 'data-changefeed': cf }, el('th', {}, cf), el('td', { class: 'down', colspan: 5 }, c.up ? 'not in memory' : '—'));
          const place = (v) => (v ? `${v.bucket ?? '—'}${v.node ? ` on ${v.node}` : ''}` : undefined);
          return el(
            'tr',
            { 'data-changefeed': cf },
            el('th', {}, cf),
            cell(x.epoch ?? '—', prev ? px?.epoch ?? '—' : undefined, 'memory-epoch'),
            cell(x.state ?? '—', prev ? px?.state ?? '—' : undefined),
            cell(place(x), prev ? place(px) : undefined, 'placement'),
            cell(x.operator ?? '—', prev ? px?.operator ?? '—' : undefined, 'operator'),
            cell(x.bumping ? 'in flight' : '—', prev ? (px?.bumping ? 'in flight' : '—') : undefined),
          );
        }),
      );
  const flight = el('p', { id: 'world-inflight' }, `messages in flight: ${step.inFlight}`);
  $('#world').replaceChildren(...[nodes, owners, coordinator, store, flight].filter(Boolean));
}

function renderSequence() {
  const t = state.trace;
  const items = [];
  for (const s of t.steps.slice(1, state.step + 1)) {
    if (s.sequence) {
      const q = s.sequence;
      const arrow = q.kind === 'step' ? '' : q.from === q.to ? `${q.from}: ` : `${q.from} → ${q.to}: `;
      items.push(el('li', { value: s.step, class: [q.kind, s.step === state.step ? 'current' : ''].join(' ') }, `${q.kind === 'step' ? '' : `${q.kind} `}${arrow}${q.label}`));
    }
    for (const v of s.violations) items.push(el('li', { value: s.step, class: 'violated' }, `✗ ${v.name}`));
  }
  if (!items.length) items.push(el('li', { value: 0 }, 'initial state: nothing sent yet'));
  $('#sequence').replaceChildren(...items);
  $('#sequence li.current')?.scrollIntoView({ block: 'nearest' });
  renderSequenceDiagram();
}

let mermaidLoad = null;
function loadMermaid() {
  mermaidLoad ??= new Promise((resolve) => {
    const s = el('script', { src: '/vendor/mermaid.min.js' });
    s.onload = () => {
      window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
      resolve(window.mermaid);
    };
    s.onerror = () => resolve(null);
    document.head.append(s);
  });
  return mermaidLoad;
}
let renderCount = 0;
async function renderSequenceDiagram() {
  if (!$('#sequence-diagram-box').open || !state.trace) return;
  const src = state.trace.steps[state.step].mermaid;
  const mine = ++renderCount;
  const mermaid = await loadMermaid();
  if (mine !== renderCount) return;
  if (!mermaid) {
    $('#sequence-diagram').textContent = 'mermaid is not installed here: the diagram source follows';
    $('#sequence-source').textContent = src;
    return;
  }
  try {
    const { svg } = await mermaid.render(`seq${mine}`, src);
    if (mine !== renderCount) return;
    $('#sequence-diagram').innerHTML = svg;
    $('#sequence-source').textContent = '';
  } catch (e) {
    $('#sequence-source').textContent = src;
  }
}

// ---- top level ------------------------------------------------------------------------------
async function renderTraceDiagrams() {
  const box = $('#trace-diagrams');
  box.replaceChildren();
  if (!state.trace) return;
  for (const name of involvedMachines()) box.append(await diagramCard(name, true));
}

function render() {
  const t = state.trace;
  $('#trace').hidden = !t;
  $('#stepper').hidden = !t;
  for (const li of document.querySelectorAll('#machines li')) {
    li.classList.toggle('involved', involvedMachines().includes(li.dataset.machine));
    li.querySelector('button').setAttribute('aria-current', String(li.dataset.machine === state.machine));
  }
  if (t) {
    const step = t.steps[state.step];
    const prev = state.step > 0 ? t.steps[state.step - 1] : null;
    const last = t.steps.length - 1;
    $('#step-label').textContent = `step ${state.step} / ${last}`;
    $('#first').disabled = $('#prev').disabled = state.step === 0;
    $('#next').disabled = $('#last').disabled = state.step === last;
    $('#action').textContent = `${state.step}. ${step.action}`;
    $('#trace-description').textContent = [t.description, t.failures.length ? `unmet expectations: ${t.failures.join('; ')}` : ''].filter(Boolean).join(' — ');
    const v = $('#violation');
    v.hidden = !step.violations.length;
    v.replaceChildren(...step.violations.map((x) => el('div', { class: 'violation', 'data-invariant': x.name }, `✗ violated ${x.name}${x.message ? `: ${x.message}` : ''}`)));
    renderWorld(step, prev);
    renderSequence();
  }
  for (const card of document.querySelectorAll('.diagram-card')) updateCard(card);
  writeHash();
  // What is on screen, for tests and scripts: set only once the page shows it.
  document.body.dataset.trace = state.traceId === null ? '' : String(state.traceId);
  document.body.dataset.step = String(state.step);
}

async function selectMachine(name, scroll = false) {
  const m = state.machines.find((x) => x.name === name) ?? state.machines[0];
  state.machine = m.name;
  const card = await diagramCard(m.name, true);
  if (state.machine !== m.name) return; // another machine was chosen meanwhile
  $('#machine-title').textContent = m.name;
  $('#machine-summary').textContent = `${m.summary} (spec ${m.spec})`;
  $('#machine-diagram').replaceChildren(card);
  $('#paths').replaceChildren();
  $('#paths-box').open = false;
  render();
  if (scroll) $('#machine').scrollIntoView({ block: 'start' });
}

async function loadPaths() {
  const name = state.machine;
  $('#paths').replaceChildren(el('li', {}, 'generating the paths (a large machine takes a while)…'));
  try {
    const paths = await api(`/api/machines/${encodeURIComponent(name)}/paths`);
    if (name !== state.machine) return;
    $('#paths').replaceChildren(...paths.map((p) => el('li', { title: `input ${p.variant}: ${p.events.join(' → ')}` }, `[${p.variant}] ${p.name} ⇒ ${p.finalState}`)));
  } catch (e) {
    $('#paths').replaceChildren(el('li', {}, `failed: ${e.message}`));
  }
}

async function refreshTraceList() {
  state.traces = await api('/api/traces');
  const sel = $('#trace-select');
  sel.replaceChildren(el('option', { value: '' }, '(none)'), ...state.traces.map((t) => el('option', { value: t.id }, `${t.name} (${t.format}, ${t.steps} steps)`)));
  sel.value = state.traceId === null ? '' : String(state.traceId);
}

async function selectTrace(id, step = 0) {
  showError('');
  if (id === null || id === '' || id === undefined) {
    state.traceId = null;
    state.trace = null;
  } else {
    state.traceId = Number(id);
    state.trace = await api(`/api/traces/${state.traceId}`);
  }
  $('#trace-select').value = state.traceId === null ? '' : String(state.traceId);
  state.step = state.trace ? Math.max(0, Math.min(Number(step) || 0, state.trace.steps.length - 1)) : 0;
  await renderTraceDiagrams();
  render();
}

function go(step) {
  if (!state.trace) return;
  const next = Math.max(0, Math.min(step, state.trace.steps.length - 1));
  if (next === state.step) return;
  state.step = next;
  render();
}

async function uploadTrace(file) {
  try {
    const content = await file.text();
    const { id } = await api('/api/traces', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: file.name, content }) });
    await refreshTraceList();
    await selectTrace(id, 0);
  } catch (e) {
    showError(e.message);
  }
}

async function main() {
  state.machines = await api('/api/machines');
  $('#machines').replaceChildren(...state.machines.map((m) => el('li', { 'data-machine': m.name }, el('button', { onclick: () => selectMachine(m.name, true) }, m.name))));
  await refreshTraceList();
  const h = readHash();
  await selectMachine(h.machine ?? state.machines[0].name);
  if (h.trace !== null) await selectTrace(h.trace, h.step).catch((e) => showError(e.message));
  else if (state.traces.length) await selectTrace(state.traces[0].id, 0);

  $('#trace-select').addEventListener('change', (e) => selectTrace(e.target.value).catch((x) => showError(x.message)));
  $('#trace-file').addEventListener('change', (e) => e.target.files[0] && uploadTrace(e.target.files[0]));
  $('#first').addEventListener('click', () => go(0));
  $('#prev').addEventListener('click', () => go(state.step - 1));
  $('#next').addEventListener('click', () => go(state.step + 1));
  $('#last').addEventListener('click', () => go(Infinity));
  $('#paths-box').addEventListener('toggle', (e) => e.target.open && loadPaths());
  $('#sequence-diagram-box').addEventListener('toggle', () => renderSequenceDiagram());
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === 'ArrowRight') go(state.step + 1);
    else if (e.key === 'ArrowLeft') go(state.step - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(Infinity);
    else return;
    e.preventDefault();
  });
  window.addEventListener('hashchange', async () => {
    const x = readHash();
    if (x.machine && x.machine !== state.machine) await selectMachine(x.machine);
    if (x.trace !== null && Number(x.trace) !== state.traceId) await selectTrace(x.trace, x.step);
    else if (x.step !== null) go(Number(x.step));
  });
  document.body.dataset.ready = 'true';
}

main().catch((e) => showError(e.message));

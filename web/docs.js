// @ts-check
// The API documentation page (`/api/docs`, HTML in server/ops.rs): fetches
// `/api/openapi.json` and lists every operation by tag with its parameters, request body
// fields and responses. A classic script served at `/api/docs.js` (the page's
// Content-Security-Policy allows scripts from this origin only, no inline script). Text from
// the document is escaped before it becomes markup.

(function () {
  /** @typedef {{ $ref?: string, type?: string | string[], items?: Schema, enum?: unknown[], oneOf?: Schema[], allOf?: Schema[], properties?: Record<string, Schema>, required?: string[], description?: string }} Schema */

  /** `s` with HTML's special characters escaped. */
  function esc(/** @type {unknown} */ s) {
    const map = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
    return String(s == null ? '' : s).replace(/[&<>"']/g, (c) => map[c]);
  }

  /** A short text for a schema: its name, `array of …`, its enum values or its type. */
  function schemaText(/** @type {Schema | undefined} */ s) {
    if (!s) return '';
    if (s.$ref) return s.$ref.split('/').pop();
    if (s.type === 'array') return `array of ${schemaText(s.items)}`;
    if (s.enum) return s.enum.join(' | ');
    if (Array.isArray(s.type)) return s.type.join(' | ');
    if (s.oneOf) return s.oneOf.map(schemaText).join(' | ');
    return s.type || '';
  }

  /** @type {Record<string, Schema>} */
  let schemas = {};

  /** Follows `$ref`s (at most 10) to the schema they name. */
  function resolve(/** @type {Schema | undefined} */ s) {
    let seen = 0;
    while (s && s.$ref && seen++ < 10) s = schemas[s.$ref.split('/').pop()];
    return s;
  }

  /** A table of an object schema's fields (one level; nested objects are named by type). */
  function fields(/** @type {Schema | undefined} */ schema) {
    const name = schema && schema.$ref ? schema.$ref.split('/').pop() : '';
    let s = resolve(schema);
    if (!s) return '';
    if (s.allOf) {
      /** @type {Schema} */
      const merged = { type: 'object', properties: {}, required: [] };
      for (const x of s.allOf.map(resolve)) {
        if (!x) continue;
        Object.assign(merged.properties, x.properties || {});
        merged.required = merged.required.concat(x.required || []);
      }
      s = merged;
    }
    if (!s.properties) return `<p><code>${esc(name || schemaText(s))}</code> ${esc(s.description || '')}</p>`;
    const req = s.required || [];
    let t = (name ? `<p><code>${esc(name)}</code> ${esc(s.description || '')}</p>` : '')
      + '<table><tr><th>字段 Field</th><th>类型 Type</th><th>必填 Required</th><th>说明 Description</th></tr>';
    for (const k of Object.keys(s.properties)) {
      const f = s.properties[k];
      const r = resolve(f) || {};
      let d = f.description || r.description || '';
      if (r.enum) d += `${d ? ' ' : ''}(${r.enum.join(' | ')})`;
      t += `<tr><td><code>${esc(k)}</code></td><td>${esc(schemaText(f))}</td><td>${req.indexOf(k) >= 0 ? '是 yes' : ''}</td><td>${esc(d)}</td></tr>`;
    }
    return `${t}</table>`;
  }

  /** The HTML of one operation: summary line, description, parameters, body, responses. */
  function operation(/** @type {string} */ path, /** @type {string} */ method, /** @type {any} */ op) {
    let html = `<details><summary><span class="m ${method}">${method.toUpperCase()}</span><code>${esc(path)}</code> <span class="desc">${esc(op.summary || '')}</span></summary>`;
    if (op.description) html += `<p>${esc(op.description)}</p>`;
    if (op.parameters && op.parameters.length) {
      html += '<table><tr><th>参数 Parameter</th><th>位置 In</th><th>类型 Type</th><th>必填 Required</th><th>说明 Description</th></tr>';
      for (const p of op.parameters) {
        html += `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${esc(schemaText(p.schema))}</td><td>${p.required ? '是 yes' : ''}</td><td>${esc(p.description)}</td></tr>`;
      }
      html += '</table>';
    }
    if (op.requestBody) {
      const content = op.requestBody.content || {};
      for (const ct of Object.keys(content)) {
        html += `<p>请求体 Request body (<code>${esc(ct)}</code>)${op.requestBody.required ? '，必填 required' : ''}:</p>`;
        html += fields(content[ct].schema);
      }
    }
    html += '<table><tr><th>状态 Status</th><th>说明 Description</th><th>类型 Content</th></tr>';
    for (const code of Object.keys(op.responses || {})) {
      const r = op.responses[code];
      const c = r.content || {};
      const types = Object.keys(c).map((k) => k + (c[k].schema ? ` (${schemaText(c[k].schema)})` : '')).join(', ');
      html += `<tr><td>${esc(code)}</td><td>${esc(r.description)}</td><td>${esc(types)}</td></tr>`;
    }
    return `${html}</table></details>`;
  }

  const out = /** @type {HTMLElement} */ (document.getElementById('doc'));
  fetch('/api/openapi.json')
    .then((r) => r.json())
    .then((doc) => {
      schemas = (doc.components && doc.components.schemas) || {};
      /** @type {Record<string, { path: string, method: string, op: any }[]>} */
      const byTag = {};
      for (const path of Object.keys(doc.paths || {}).sort()) {
        const item = doc.paths[path];
        for (const m of ['get', 'post', 'put', 'patch', 'delete']) {
          if (!item[m]) continue;
          const op = item[m];
          const tag = (op.tags && op.tags[0]) || 'other';
          (byTag[tag] = byTag[tag] || []).push({ path, method: m, op });
        }
      }
      let html = `<p>${esc(doc.info.title)} · ${esc(doc.info.version)}</p>`;
      for (const tag of Object.keys(byTag)) {
        html += `<h2>${esc(tag)}</h2>`;
        for (const e of byTag[tag]) html += operation(e.path, e.method, e.op);
      }
      // every text from the document went through esc()
      out.innerHTML = html;
    })
    .catch((err) => { out.textContent = `无法加载 Cannot load /api/openapi.json: ${err}`; });
}());

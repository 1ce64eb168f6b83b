//! The component's styles. They live inside the element's shadow root, so nothing leaks into SRM's
//! page and SRM's styles do not reach in (`:host` resets what inherits).

/// The stylesheet, rendered as the component's first child.
pub const STYLE: &str = r#"
:host { all: initial; display: block; }
.srm-xero-post-journals {
  --ink: #1f2933; --muted: #616e7c; --line: #d9dee3; --bg: #ffffff; --panel: #f7f9fa;
  --accent: #1f6fa8; --accent-ink: #ffffff; --ok: #207a45; --warn: #a86a00; --bad: #b42318;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
  color: var(--ink); background: var(--bg); min-width: 0; box-sizing: border-box; padding: 12px;
  container-type: inline-size; container-name: srm-xero;
}
.srm-xero-post-journals *, .srm-xero-post-journals *::before, .srm-xero-post-journals *::after { box-sizing: inherit; }
h2 { font-size: 20px; margin: 0; font-weight: 600; }
h3 { font-size: 16px; margin: 0; font-weight: 600; }
h4 { font-size: 14px; margin: 16px 0 6px; font-weight: 600; }
.head { display: flex; align-items: baseline; gap: 12px; margin-bottom: 10px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 12px; margin-bottom: 12px; }
.row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.spacer { flex: 1; }
.muted { color: var(--muted); }
.hint { margin: 6px 0 0; font-size: 13px; }
.badge { width: 10px; height: 10px; border-radius: 50%; background: var(--muted); display: inline-block; }
.badge.ok { background: var(--ok); } .badge.warn { background: var(--warn); }
.actions { display: inline-flex; gap: 8px; margin-left: auto; flex-wrap: wrap; }
.fields { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-end; }
.field { display: flex; flex-direction: column; gap: 4px; font-size: 13px; color: var(--muted); }
.field.inline { flex-direction: row; align-items: center; gap: 6px; }
.field.wide { flex: 1 1 320px; }
.field.wide input { width: 100%; }
.with-button { display: flex; gap: 6px; align-items: center; }
input, select, button { font: inherit; color: var(--ink); }
input[type=text], input[type=date], input[type=search], select {
  border: 1px solid var(--line); border-radius: 4px; padding: 6px 8px; background: #fff; min-height: 34px;
}
input:focus-visible, select:focus-visible, button:focus-visible, a:focus-visible, tr:focus-visible, summary:focus-visible {
  outline: 2px solid var(--accent); outline-offset: 1px;
}
button { border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); border-radius: 4px;
  padding: 6px 12px; min-height: 34px; cursor: pointer; }
button.secondary, .file.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--bad); border-color: var(--bad); }
button.link, button.th { background: none; border: none; color: var(--accent); padding: 0; min-height: 0; text-decoration: underline; }
button.th { color: inherit; text-decoration: none; font-weight: 600; }
button[disabled] { opacity: .5; cursor: not-allowed; }
.file { border: 1px solid var(--accent); border-radius: 4px; padding: 6px 12px; cursor: pointer; position: relative; }
.file input { position: absolute; opacity: 0; width: 1px; height: 1px; }
.file:focus-within { outline: 2px solid var(--accent); }
.notice { border: 1px solid var(--bad); background: #fdf0ef; color: var(--bad); border-radius: 4px; padding: 8px 10px;
  margin: 8px 0; display: flex; gap: 12px; align-items: baseline; }
.notice span { flex: 1; }
.waiting { color: var(--warn); font-weight: 600; }
.summary { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 8px; margin: 0 0 12px; }
.summary div { background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 6px 10px; }
.summary dt { font-size: 12px; color: var(--muted); }
.summary dd { margin: 0; font-weight: 600; text-align: right; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; background: #fafbfc; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.problem td { border-bottom: none; padding-top: 0; }
tr.problem.bad .problem-text { color: var(--bad); } tr.problem.warn .problem-text { color: var(--warn); }
.fix { color: var(--ink); }
.lines-row td { padding-top: 0; }
details summary { cursor: pointer; color: var(--accent); font-size: 13px; }
.tag { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; border: 1px solid var(--line); background: #fff; }
.tag.ok { color: var(--ok); border-color: var(--ok); } .tag.bad { color: var(--bad); border-color: var(--bad); }
.tag.warn { color: var(--warn); border-color: var(--warn); }
.accept-bar { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin-top: 12px; }
.check { display: inline-flex; gap: 6px; align-items: center; }
button.primary { font-weight: 600; }
.backdrop { position: fixed; inset: 0; background: rgba(31, 41, 51, .45); display: flex; align-items: flex-start;
  justify-content: center; padding: 4vh 16px; z-index: 2147483000; overflow-y: auto; }
.dialog { background: #fff; border-radius: 8px; box-shadow: 0 12px 40px rgba(0,0,0,.25); width: min(1200px, 100%);
  max-height: 92vh; overflow-y: auto; padding: 16px; }
.dialog.narrow { width: min(860px, 100%); }
.dialog-head { display: flex; align-items: center; justify-content: space-between; margin-bottom: 12px; }
button.close { background: none; border: none; color: var(--muted); font-size: 22px; padding: 0 6px; }
.progress { display: flex; height: 12px; background: #e9edf0; border-radius: 6px; overflow: hidden; }
.bar.posted { background: var(--ok); } .bar.failed { background: var(--bad); } .bar.voided { background: var(--muted); }
.bar.attention { background: #b26a00; } .c-attention { color: #b26a00; font-weight: 600; }
.counts { margin: 6px 0 0; font-variant-numeric: tabular-nums; }
.toolbar { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; margin: 12px 0 6px; }
.summary-line { color: var(--muted); margin: 4px 0 8px; }
tr.clickable { cursor: pointer; } tr.clickable:hover { background: #f1f6fa; }
.narration { max-width: 420px; overflow-wrap: anywhere; }
/* A long export's list scrolls in its own box with one-line rows of exactly 40 px (the
   component's ROW_PX): only the rows in sight are in the page. */
.table-wrap.windowed { max-height: 60vh; overflow-y: auto; }
.windowed table { table-layout: fixed; border-collapse: separate; border-spacing: 0; }
.windowed thead th { position: sticky; top: 0; z-index: 1; }
.windowed td { height: 40px; box-sizing: border-box; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; vertical-align: middle; max-width: none; }
.windowed th:nth-child(1) { width: 110px; } .windowed th:nth-child(2) { width: 130px; }
.windowed th:nth-child(4) { width: 110px; } .windowed th:nth-child(5) { width: 60px; }
.windowed th:nth-child(6) { width: 30%; }
.message { color: var(--bad); }
tr.state-voided .message { color: var(--muted); }
.lookup tr.active, .lookup tr[aria-selected=true] { background: #e3eef7; }
.lookup tbody tr { cursor: pointer; }
.history { padding-left: 20px; margin: 0; }
.void, .resolve { margin-top: 16px; display: flex; gap: 10px; align-items: flex-end; flex-wrap: wrap; }
.inline-error { color: var(--bad); font-size: 13px; }
ul.inline-error { margin: 8px 0; padding-left: 20px; }
.hints { display: flex; gap: 10px; flex-wrap: wrap; font-size: 13px; }
table.map select { max-width: 340px; }
table.narrow { width: auto; }
.choices { list-style: none; padding: 0; display: flex; gap: 8px; flex-wrap: wrap; }
@media (max-width: 1100px) { .srm-xero-post-journals { padding: 8px; } .narration { max-width: 260px; } }
.mapping-history { margin-top: 12px; }
.banner { border-color: var(--warn); background: #fff8eb; }
.difference { border: 1px solid var(--bad); background: #fdf0ef; border-radius: 4px; padding: 8px 10px; margin: 8px 0; }
tr.off td { color: var(--bad); font-weight: 600; }
/* Narrower than SRM's 1024 px page (a tablet): the element's own width decides, not the window's,
   so the layout follows wherever SRM places it. Touch targets are at least 40 px; wide tables
   scroll inside their .table-wrap instead of widening the page. */
@container srm-xero (max-width: 1023px) {
  button, .file, select, input[type=text], input[type=date], input[type=search] { min-height: 40px; }
  button.link, button.th, button.close { min-height: 40px; min-width: 40px; display: inline-flex; align-items: center; }
  .check { min-height: 40px; }
  .check input { width: 22px; height: 22px; }
  .file { display: inline-flex; align-items: center; }
  .with-button { flex-wrap: wrap; }
  .fields { gap: 10px; }
  .field.wide { flex-basis: 100%; }
  table.map select { max-width: 240px; }
  .narration { max-width: 200px; }
  .backdrop { padding: 8px; }
  .dialog { max-height: 96vh; padding: 12px; }
  .table-wrap { -webkit-overflow-scrolling: touch; }
}
"#;

"""The Jinja2 template of the HTML report: one self-contained page (inline CSS and SVG, no scripts, no links
out). Autoescaping is on: every value from a results file is escaped unless it is a chart built by ``svg``.
"""

from __future__ import annotations

TEMPLATE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Monitoring report: {{ report.source }}</title>
<style>
:root { --ok: #2e7d32; --bad: #c62828; --muted: #666; --line: #ddd; }
body { font-family: -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; margin: 0;
       color: #222; background: #fafafa; font-size: 14px; line-height: 1.4; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 24px 48px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 0 0 8px; }
h2 small { font-weight: normal; color: var(--muted); font-size: 13px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 18px;
          margin: 16px 0; }
.meta, .note { color: var(--muted); }
.note { font-style: italic; margin: 4px 0; }
.advice { background: #f5f8ff; border-left: 3px solid #1565c0; padding: 4px 8px; margin: 6px 0; }
code { font-size: 12px; background: #f2f2f2; padding: 1px 4px; border-radius: 3px; word-break: break-all; }
table { border-collapse: collapse; margin: 6px 0 10px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left;
         vertical-align: top; }
th { font-weight: 600; color: #444; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; }
.status-Completed { background: var(--ok); }
.status-CompletedWithViolations { background: var(--bad); }
.status-Failed { background: #6a1b9a; }
.status-Skipped, .status-InProgress, .status-Pending, .status-Stopped { background: #757575; }
tr.violated td { color: var(--bad); font-weight: 600; }
.grid { display: flex; flex-wrap: wrap; gap: 8px 20px; }
figure { margin: 0; }
figcaption { font-weight: 600; font-size: 13px; }
.feature { border-top: 1px solid var(--line); padding-top: 6px; }
.checks span { display: inline-block; background: #fdecea; color: var(--bad); border-radius: 3px;
               padding: 0 6px; margin-right: 4px; font-size: 12px; }
nav a { margin-right: 12px; }
details > summary { cursor: pointer; color: #1565c0; margin: 8px 0; }
footer { color: var(--muted); font-size: 12px; margin-top: 24px; }
svg { max-width: 100%; height: auto; }
</style>
</head>
<body>
<main>
<header>
<h1>Monitoring report</h1>
<p class="meta">Source <code>{{ report.source }}</code> &middot;
{{ report.executions|plural("execution") }} of {{ report.sections|length|plural("schedule") }} on
{{ report.endpoints|length|plural("endpoint") }}
{%- if report.span %} &middot; {{ report.span[0]|hour }} to {{ report.span[1]|hour }} UTC{% endif %}</p>
{% if report.baseline_locations %}
<p class="meta">Baselines:
{% for location in report.baseline_locations %}<code>{{ location }}</code> {% endfor %}</p>
{% endif %}
<nav><a href="#overview">Overview</a>
{% for section in report.sections %}
<a href="#section-{{ loop.index }}">{{ section.series.endpoint }} {{ section.series.monitor|heading }}</a>
{% endfor %}
<a href="#violations">Violations</a></nav>
</header>

<section id="overview">
<h2>Overview</h2>
<table>
<tr><th>Endpoint</th><th>Monitor</th><th>Schedule</th><th>Latest execution (UTC)</th>
<th>Traffic analysed (UTC)</th><th>Status</th>
<th class="num">Violations</th><th class="num">Executions with violations</th><th>Written by</th></tr>
{% for section in report.sections %}
{% set latest = section.series.latest %}
<tr><td>{{ section.series.endpoint }}</td>
<td><a href="#section-{{ loop.index }}">{{ section.series.monitor|heading }}</a></td>
<td>{{ section.series.schedule }}</td>
<td>{{ latest.when|hour }}</td>
<td>{{ latest.window|span }}</td>
<td><span class="status status-{{ latest.status.value }}">{{ latest.status.value }}</span></td>
<td class="num">{{ latest.violations|length }}</td>
<td class="num">{{ section.series.with_violations }} / {{ section.series.executions|length }}</td>
<td>{{ latest.origin.value }}</td></tr>
{% endfor %}
</table>
<p class="note" id="times">Executions are named by the hour they ran (Model Monitor's scheduled time);
each analyses the traffic of a window before it. Monitors that need ground truth (model quality, bias) read
a window moved back by their start and end offsets, because labels arrive after the predictions: the same
traffic hour therefore shows up under a later execution time for them than for data quality. "Traffic
analysed" gives each execution's window.</p>
</section>

{% if report.problems or report.skipped_folders %}
<section id="problems">
<h2>Files that could not be used</h2>
<ul>
{% for problem in report.problems %}
<li><code>{{ problem.location }}</code>: {{ problem.message }}</li>
{% endfor %}
{% for folder in report.skipped_folders %}
<li><code>{{ folder }}</code>: holds result files but is not an execution folder
(<code>{endpoint}/{schedule}/yyyy/mm/dd/hh/</code>); not read</li>
{% endfor %}
</ul>
</section>
{% endif %}

{% for section in report.sections %}
{% set series = section.series %}
{% set latest = series.latest %}
{% set shown = section.statistics_execution %}
<section id="section-{{ loop.index }}" class="monitor monitor-{{ series.monitor.value }}">
<h2>{{ series.endpoint }} &middot; {{ series.monitor|heading }} <small>{{ series.schedule }}</small></h2>
<p>Latest execution <strong>{{ latest.when|hour }}</strong> UTC:
<span class="status status-{{ latest.status.value }}">{{ latest.status.value }}</span>
{% if latest.reason %} &mdash; {{ latest.reason }}{% endif %}
{% if latest.inputs %} &middot;
{% for key, value in latest.inputs|dictsort %}{{ key|replace("_", " ") }} {{ value|number(8) }}
{%- if not loop.last %}, {% endif %}{% endfor %}
{% endif %}
 &middot; traffic analysed {{ latest.window|span }} UTC &middot; <code>{{ latest.location }}</code></p>
{% if section.advice %}
<p class="advice"><strong>What it means:</strong> {{ section.advice }}</p>
{% endif %}
{% for note in section.notes %}
<p class="note">{{ note }}</p>
{% endfor %}

{% if section.worst %}
<h3>Worst offenders (latest execution)</h3>
<table class="worst">
<tr><th>Check</th><th>Subject</th><th>Measure</th><th>Description</th></tr>
{% for ranked in section.worst %}
<tr><td>{{ ranked.violation.check_type }}</td><td>{{ ranked.violation.subject }}</td>
<td>{{ ranked.evidence or "" }}</td><td>{{ ranked.violation.description|readable }}</td></tr>
{% endfor %}
</table>
{% endif %}

{% if series.monitor.value == "DataQuality" %}
<h3>Drifting features{% if shown %} <small class="meta">({{ shown.when|hour }} UTC)</small>{% endif %}</h3>
{% if section.drifting %}
<p class="note">Every feature with a violation of any check, largest distance first.</p>
{% else %}
<p class="note">No feature has a violation in the latest statistics.</p>
{% endif %}
{% for drift in section.drifting %}{% include "feature" %}{% endfor %}
{% if section.other_features %}
<details><summary>Other features ({{ section.other_features|length }})</summary>
{% for drift in section.other_features %}{% include "feature" %}{% endfor %}
</details>
{% endif %}
{% endif %}

{% if series.monitor.value == "ModelQuality" and section.metrics %}
<h3>Metrics{% if shown %} <small class="meta">({{ shown.when|hour }} UTC)</small>{% endif %}</h3>
<table class="metrics">
<tr><th>Metric</th><th class="num">Value</th><th class="num">Std. dev.</th><th>Constraint</th></tr>
{% for row in section.metrics %}
<tr class="{{ 'violated' if row.violated else '' }}"><td>{{ row.name }}</td>
<td class="num">{{ row.value|number }}</td><td class="num">{{ row.standard_deviation|number }}</td>
<td>{% if row.operator %}violated when {{ row.operator.value }} {{ row.threshold|number }}{% endif %}
</td></tr>
{% endfor %}
</table>
{% if section.confusion_matrix %}
{% set predicted = section.confusion_matrix|confusion_columns %}
<h3>Confusion matrix</h3>
<table class="confusion">
<tr><th>actual \\ predicted</th>{% for p in predicted %}<th class="num">{{ p }}</th>{% endfor %}</tr>
{% for actual, row in section.confusion_matrix|dictsort %}
<tr><th>{{ actual }}</th>
{% for p in predicted %}<td class="num">{{ row.get(p)|number(8) }}</td>{% endfor %}</tr>
{% endfor %}
</table>
{% endif %}
{% endif %}

{% if series.monitor.value == "ModelBias" %}
<h3>Bias metrics per facet
{% if shown %} <small class="meta">({{ shown.when|hour }} UTC)</small>{% endif %}</h3>
{% for group in section.bias %}
<div class="facet">
<h3>{{ group.facet }} = {{ group.value_or_threshold }}
<small class="meta">{{ group.stage|stage_heading }}</small></h3>
{{ bias_chart(group) }}
<table class="bias">
<tr><th>Metric</th><th>Description</th><th class="num">Current</th><th class="num">Baseline</th></tr>
{% for row in group.rows %}
<tr class="{{ 'violated' if row.violated else '' }}"><td>{{ row.name }}</td><td>{{ row.description }}</td>
<td class="num">{{ row.value|number }}
{%- if row.error %} <small class="meta">({{ row.error }})</small>{% endif %}
</td><td class="num">{{ row.baseline|number }}</td></tr>
{% endfor %}
</table>
</div>
{% endfor %}
{% endif %}

{% if series.monitor.value == "ModelExplainability" %}
{% for ranking in section.attributions %}
<h3>Attribution ranks, {{ ranking.label }} <small class="meta">{{ ranking.method }}</small></h3>
<p>nDCG against the baseline: <strong class="ndcg">{{ ranking.ndcg|number }}</strong>
{% if ranking.ndcg is not none %}
{% set verdict = "below" if ranking.ndcg < ranking.threshold else "at or above" %}
({{ verdict }} Clarify's threshold {{ ranking.threshold }})
{% endif %}
</p>
{{ attribution_chart(ranking) }}
<table class="attributions">
<tr><th class="num">Current rank</th><th>Feature</th><th class="num">Current</th>
<th class="num">Baseline rank</th><th class="num">Baseline</th></tr>
{% for row in ranking.rows %}
<tr><td class="num">{{ row.current_rank or "-" }}</td><td>{{ row.feature }}</td>
<td class="num">{{ row.current|number }}</td><td class="num">{{ row.baseline_rank or "-" }}</td>
<td class="num">{{ row.baseline|number }}</td></tr>
{% endfor %}
</table>
{% endfor %}
{% endif %}

{% if section.trends %}
<h3>Trends across {{ series.executions|length|plural("execution") }}</h3>
{% if series.executions|length == 1 %}
<p class="note">One execution: each chart shows a single point; a trend needs two or more.</p>
{% endif %}
<div class="grid">
{% for trend in section.trends %}
<figure class="trend" data-points="{{ trend.lines[0].points|length if trend.lines else 0 }}">
<figcaption>{{ trend.title }}</figcaption>
{{ trend_chart(trend) }}
</figure>
{% endfor %}
</div>
{% endif %}
</section>
{% endfor %}

<section id="violations">
<h2>Violations</h2>
{% set rows = report.violation_rows %}
{% if not rows %}
<p class="note">No violations in any execution.</p>
{% else %}
<table class="violations">
<tr><th>Execution (UTC)</th><th>Endpoint</th><th>Monitor</th><th>Check</th><th>Subject</th>
<th>Description</th></tr>
{% for row in rows %}
<tr class="violation"><td>{{ row.execution.when|hour }}</td><td>{{ row.execution.endpoint }}</td>
<td>{{ row.execution.monitor|heading }}</td><td>{{ row.violation.check_type }}</td>
<td>{{ row.violation.subject }}</td><td>{{ row.violation.description|readable }}</td></tr>
{% endfor %}
</table>
{% endif %}
</section>

<footer>Generated by {{ generator }}. Distances and nDCG values are computed by the report from the files'
buckets and attributions, to order and plot them; the monitors' violations are the verdict. Numbers in
descriptions are rounded for reading; the result files keep them in full.</footer>
</main>
</body>
</html>
"""

FEATURE = """\
<div class="feature">
<h3>{{ drift.name }} <small class="meta">{{ drift.current.inferred_type }}
{%- if drift.distance is not none %} &middot; distance {{ drift.distance|number(3) }}{% endif %}</small></h3>
{% if drift.absent %}
<p class="note">Not in the current data (the baseline has it).</p>
{% endif %}
{% if drift.comparison_off %}
<p class="note comparison-off">Drift not compared: {{ drift.comparison_off }}.</p>
{% endif %}
{% if drift.checks %}
<p class="checks">{% for check in drift.checks %}<span>{{ check }}</span>{% endfor %}</p>
{% endif %}
{{ feature_chart(drift) }}
{% set categorical = drift.current.is_categorical %}
<table class="stats">
<tr><th></th><th class="num">present</th><th class="num">missing</th>
{% if categorical %}
<th class="num">distinct</th>
{% else %}
<th class="num">mean</th><th class="num">std. dev.</th><th class="num">min</th><th class="num">max</th>
{% endif %}
</tr>
{% for name, stats in (("baseline", drift.baseline), ("current", drift.current)) if stats %}
<tr><th>{{ name }}</th><td class="num">{{ stats.num_present|number(8) }}</td>
<td class="num">{{ stats.num_missing|number(8) }}</td>
{% if categorical %}
<td class="num">{{ stats.distinct_count|number(8) }}</td>
{% else %}
<td class="num">{{ stats.mean|number }}</td><td class="num">{{ stats.std_dev|number }}</td>
<td class="num">{{ stats.minimum|number }}</td><td class="num">{{ stats.maximum|number }}</td>
{% endif %}
</tr>
{% endfor %}
</table>
</div>
"""

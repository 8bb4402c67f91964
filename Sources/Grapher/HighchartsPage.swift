import Foundation

/// A self-contained HTML page: the export inline, one chart per label with the average line, the
/// min/max band, warn and crit lines and the unit on the axis, in local time. Highcharts itself is
/// loaded from `scripts` (Highcharts has its own licence; perfq does not ship it). The page writes
/// what it drew into `<pre id="status">`, so a headless browser can check it.
public enum HighchartsPage {
    /// The official CDN: the core and highcharts-more, which draws the band (`arearange`).
    public static let defaultScripts = ["https://code.highcharts.com/highcharts.js", "https://code.highcharts.com/highcharts-more.js"]

    public static func html(_ export: HighchartsExport, scripts: [String] = defaultScripts) throws -> String {
        // Inline JSON in a script element: neither "</script" nor "<!--" may end or hide it.
        // "<" appears only inside the JSON's strings, where \u003c means the same.
        let json = try export.json().replacingOccurrences(of: "<", with: "\\u003c")
        let title = escape("\(export.host) / \(export.service)")
        let scriptTags = scripts.map { "<script src=\"\(escape($0))\"></script>" }.joined(separator: "\n")
        return """
            <!DOCTYPE html>
            <html>
            <head>
            <meta charset="utf-8">
            <title>\(title)</title>
            \(scriptTags)
            <style>
            body { font-family: sans-serif; margin: 1em; }
            .chart { width: 100%; max-width: 1100px; height: 360px; margin-bottom: 1em; }
            #summary { max-width: 1100px; color: #444; white-space: pre-wrap; }
            #status { color: #888; }
            </style>
            </head>
            <body>
            <h2>\(title)</h2>
            <p id="summary"></p>
            <div id="charts"></div>
            <pre id="status">not drawn</pre>
            <script id="perfq-data" type="application/json">\(json)</script>
            <script>
            (function () {
              var doc = JSON.parse(document.getElementById('perfq-data').textContent);
              var status = document.getElementById('status');
              document.getElementById('summary').textContent = doc.summary;
              if (typeof Highcharts === 'undefined') { status.textContent = 'error: Highcharts did not load'; return; }
              // Local time: 3.x reads global.useUTC, later versions time.useUTC.
              Highcharts.setOptions({ global: { useUTC: false }, time: { useUTC: false } });
              var byLabel = {};
              doc.series.forEach(function (s) { (byLabel[s.label] = byLabel[s.label] || []).push(s); });
              var lines = [];
              var tooltipLine = '';
              Object.keys(byLabel).forEach(function (label, index) {
                var div = document.createElement('div');
                div.className = 'chart';
                div.id = 'chart-' + index;
                document.getElementById('charts').appendChild(div);
                var unit = byLabel[label][0].unit;
                var explained = {};
                ((doc.explanations || {})[label] || []).forEach(function (e) { if (e) explained[e.time] = e; });
                var limits = doc.thresholds[label] || {};
                var plotLines = [];
                [['warn', '#e0a000'], ['crit', '#d02020']].forEach(function (pair) {
                  var range = limits[pair[0]];
                  if (!range) return;
                  [range.start, range.end].forEach(function (value) {
                    if (value !== null && value !== 0) {
                      plotLines.push({ value: value, color: pair[1], width: 1, dashStyle: 'Dash', zIndex: 3,
                        label: { text: pair[0] + ' ' + range.raw, style: { color: pair[1] } } });
                    }
                  });
                });
                var series = byLabel[label].map(function (s) {
                  return s.type === 'arearange'
                    ? { name: s.name, type: 'arearange', data: s.data, lineWidth: 0, fillOpacity: 0.25, zIndex: 0, turboThreshold: 0, color: '#7cb5ec' }
                    : { name: s.name, type: 'line', data: s.data, zIndex: 1, turboThreshold: 0, marker: { enabled: false }, color: '#2f4f8f' };
                });
                var chart = new Highcharts.Chart({
                  chart: { renderTo: div.id, zoomType: 'x', animation: false },
                  title: { text: label },
                  credits: { enabled: false },
                  xAxis: { type: 'datetime' },
                  yAxis: { title: { text: unit }, plotLines: plotLines },
                  plotOptions: { series: { animation: false } },
                  tooltip: {
                    shared: true,
                    formatter: function () {
                      var text = Highcharts.dateFormat('%Y-%m-%d %H:%M:%S', this.x) + '<br>';
                      (this.points || [this.point]).forEach(function (p) {
                        text += p.series.name + ': ' + (p.point.low !== undefined ? p.point.low + ' … ' + p.point.high : p.y) + ' ' + unit + '<br>';
                      });
                      var e = explained[this.x / 1000];
                      if (e && e.steps) {
                        e.steps.forEach(function (st) {
                          (st.samples || []).forEach(function (sm) {
                            text += '<span style="font-size: 9px">check ' + Highcharts.dateFormat('%H:%M:%S', sm.time * 1000) + ' = ' + sm.value + ': ' + sm.seconds + ' s of the step ending ' + Highcharts.dateFormat('%H:%M', st.end * 1000) + '</span><br>';
                          });
                        });
                        if (e.archive && e.archive.steps_per_row > 1) {
                          text += '<span style="font-size: 9px">the average of ' + e.archive.steps_per_row + ' steps of ' + e.archive.step + ' s</span><br>';
                        }
                        return text;
                      }
                      return text + '<span style="font-size: 9px">a point is the time-weighted average of the checks that cover its step</span>';
                    }
                  },
                  series: series
                });
                chart.series.forEach(function (s) { lines.push(label + ' | ' + s.name + ' | points=' + s.data.length); });
                // What the tooltip says for one point in the middle, for a headless check.
                var middle = chart.series[0].data[Math.floor(chart.series[0].data.length / 2)];
                if (index === 0 && middle) {
                  var shown = chart.tooltip.options.formatter.call({ x: middle.x, points: [{ series: chart.series[0], point: middle, y: middle.y }] });
                  tooltipLine = 'tooltip: ' + shown.replace(/<[^>]*>/g, ' | ');
                }
              });
              status.textContent = 'drawn\\n' + lines.join('\\n') + '\\n' + tooltipLine;
            })();
            </script>
            </body>
            </html>

            """
    }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

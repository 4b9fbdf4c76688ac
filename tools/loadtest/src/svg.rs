//! Small SVG charts drawn here, so a report renders offline: lines over time and bars.

use std::fmt::Write as _;

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 36.0;
const COLORS: [&str; 6] = [
    "#5cb85c", "#d9534f", "#337ab7", "#f0ad4e", "#6f42c1", "#777777",
];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A "nice" upper bound for an axis.
fn nice(max: f64) -> f64 {
    if max <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(max.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if max <= m * mag {
            return m * mag;
        }
    }
    10.0 * mag
}

fn frame(out: &mut String, title: &str, y_label: &str, y_max: f64) {
    let _ = write!(
        out,
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" font-family="sans-serif" font-size="11"><rect width="{W}" height="{H}" fill="#fff"/><text x="{LEFT}" y="16" font-size="13" font-weight="bold">{}</text>"##,
        esc(title)
    );
    for i in 0..=4 {
        let v = y_max * f64::from(i) / 4.0;
        let y = H - BOTTOM - (H - TOP - BOTTOM) * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            short(v)
        );
    }
    let _ = write!(
        out,
        r#"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle">{}</text>"#,
        (TOP + H - BOTTOM) / 2.0,
        (TOP + H - BOTTOM) / 2.0,
        esc(y_label)
    );
}

fn short(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.0}k", v / 1000.0)
    } else if v >= 100.0 || v == v.floor() {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// Lines over time: `series` are (name, points of (second, value)).
pub fn lines(title: &str, y_label: &str, series: &[(String, Vec<(f64, f64)>)]) -> String {
    let x_max = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|(x, _)| *x))
        .fold(1.0, f64::max);
    let y_max = nice(
        series
            .iter()
            .flat_map(|(_, p)| p.iter().map(|(_, y)| *y))
            .fold(0.0, f64::max),
    );
    let mut out = String::new();
    frame(&mut out, title, y_label, y_max);
    let sx = |x: f64| LEFT + (W - LEFT - RIGHT) * x / x_max;
    let sy = |y: f64| H - BOTTOM - (H - TOP - BOTTOM) * y / y_max;
    for i in 0..=5 {
        let x = x_max * f64::from(i) / 5.0;
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{}s</text>"#,
            sx(x),
            H - BOTTOM + 16.0,
            short(x)
        );
    }
    for (i, (name, points)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let path: Vec<String> = points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
            .collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        let lx = LEFT + 8.0 + 150.0 * i as f64;
        let _ = write!(
            out,
            r#"<rect x="{lx:.1}" y="{}" width="10" height="10" fill="{color}"/><text x="{:.1}" y="{}">{}</text>"#,
            H - 14.0,
            lx + 14.0,
            H - 5.0,
            esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

/// Grouped bars: one group a category, one bar a series (`values[series][category]`).
pub fn bars(
    title: &str,
    y_label: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
) -> String {
    let y_max = nice(
        series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .fold(0.0, f64::max),
    );
    let mut out = String::new();
    frame(&mut out, title, y_label, y_max);
    let plot_w = W - LEFT - RIGHT;
    let group = plot_w / categories.len().max(1) as f64;
    let bar = (group * 0.8) / series.len().max(1) as f64;
    let sy = |y: f64| H - BOTTOM - (H - TOP - BOTTOM) * y / y_max;
    for (c, category) in categories.iter().enumerate() {
        let gx = LEFT + group * c as f64 + group * 0.1;
        for (s, (_, values)) in series.iter().enumerate() {
            let v = values.get(c).copied().unwrap_or(0.0);
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
                gx + bar * s as f64,
                sy(v),
                (bar - 2.0).max(1.0),
                H - BOTTOM - sy(v),
                COLORS[s % COLORS.len()],
                short(v)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" font-size="9">{}</text>"#,
            gx + group * 0.4,
            H - BOTTOM + 14.0,
            esc(category)
        );
    }
    for (s, (name, _)) in series.iter().enumerate() {
        let lx = LEFT + 8.0 + 160.0 * s as f64;
        let _ = write!(
            out,
            r#"<rect x="{lx:.1}" y="{}" width="10" height="10" fill="{}"/><text x="{:.1}" y="{}">{}</text>"#,
            H - 14.0,
            COLORS[s % COLORS.len()],
            lx + 14.0,
            H - 5.0,
            esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_are_standalone_svg_with_escaped_labels() {
        let l = lines(
            "req/s <all>",
            "req/s",
            &[("a&b".into(), vec![(0.0, 1.0), (1.0, 3.0)])],
        );
        assert!(l.starts_with("<svg") && l.ends_with("</svg>"));
        assert!(
            l.contains("req/s &lt;all&gt;") && l.contains("a&amp;b") && l.contains("<polyline")
        );
        let b = bars(
            "t",
            "y",
            &["x".into(), "y".into()],
            &[("s".into(), vec![1.0, 2.0])],
        );
        assert_eq!(b.matches("<rect x=").count(), 2 + 1);
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(730.0), 1000.0);
        assert_eq!(nice(2100.0), 2500.0);
    }
}

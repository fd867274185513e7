//! PNG line charts for training reports (loss curves, equity, rewards), with
//! an embedded font so labels render on machines without any fonts installed.
//! Files are written atomically like every other artifact.

use crate::error::{CoreError, Result};
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans-subset.ttf");
static REGISTER: Once = Once::new();

/// One named line.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

impl Series {
    pub fn new(name: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Self {
            name: name.into(),
            points,
        }
    }

    /// A series from y values at x = 0, 1, 2, ...
    pub fn from_values(name: impl Into<String>, ys: &[f64]) -> Self {
        Self::new(
            name,
            ys.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect(),
        )
    }
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

fn plot_err(e: impl std::fmt::Display) -> CoreError {
    CoreError::InvalidData(format!("plot: {e}"))
}

/// Draw `series` as lines into a 1000x600 PNG at `path`.
pub fn line_chart(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[Series],
) -> Result<()> {
    REGISTER.call_once(|| {
        // The font is compiled in and known to parse; failure would only mean
        // text is missing, which plotters reports when drawing.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let finite = series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for &(x, y) in finite {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() {
        return Err(CoreError::InvalidData(format!(
            "plot `{title}`: no finite points to draw"
        )));
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    let pad = if y1 > y0 {
        0.05 * (y1 - y0)
    } else {
        0.5_f64.max(y0.abs() * 0.05)
    };
    let (y0, y1) = (y0 - pad, y1 + pad);

    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| CoreError::io(&dir, e))?;
    let name = path
        .file_name()
        .ok_or_else(|| CoreError::InvalidData(format!("{} has no file name", path.display())))?;
    // plotters picks the encoder from the extension, so the temp file keeps `.png`.
    let tmp = dir.join(format!(
        ".{}.{}.tmp.png",
        name.to_string_lossy(),
        std::process::id()
    ));
    let draw = || -> Result<()> {
        let root = BitMapBackend::new(&tmp, (1000, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 24))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(80)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .label_style(("sans-serif", 14))
            .axis_desc_style(("sans-serif", 16))
            .draw()
            .map_err(plot_err)?;
        for (i, s) in series.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            chart
                .draw_series(LineSeries::new(
                    s.points
                        .iter()
                        .copied()
                        .filter(|(x, y)| x.is_finite() && y.is_finite()),
                    color.stroke_width(2),
                ))
                .map_err(plot_err)?
                .label(s.name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .label_font(("sans-serif", 14))
                .draw()
                .map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
        Ok(())
    };
    let result =
        draw().and_then(|()| std::fs::rename(&tmp, path).map_err(|e| CoreError::io(path, e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_chart_writes_a_png_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("curve.png");
        let train = Series::from_values("train", &[1.0, 0.8, 0.7, 0.65]);
        let valid = Series::from_values("validation", &[1.1, 0.9, 0.85, 0.86]);
        line_chart(&p, "Loss", "epoch", "MSE", &[train, valid]).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn empty_or_non_finite_series_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let s = Series::new("nan", vec![(0.0, f64::NAN)]);
        assert!(line_chart(&dir.path().join("x.png"), "t", "x", "y", &[s]).is_err());
    }
}

#include "harness/report/svg.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace faultline::harness::report {

std::string Esc(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

double Scale::operator()(double d) const {
  if (log) {
    double lo = std::log10(std::max(d0, 1e-12)), hi = std::log10(std::max(d1, d0 * 10));
    double x = std::log10(std::max(d, d0));
    return r0 + (x - lo) / (hi - lo) * (r1 - r0);
  }
  if (d1 == d0) return r0;
  return r0 + (d - d0) / (d1 - d0) * (r1 - r0);
}

std::vector<double> NiceTicks(double lo, double hi, int count) {
  std::vector<double> out;
  if (!(hi > lo) || count < 1) return {lo};
  double raw = (hi - lo) / count;
  double mag = std::pow(10, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  for (double t = std::ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
    out.push_back(std::abs(t) < step * 1e-9 ? 0 : t);
  }
  return out;
}

std::vector<double> LogTicks(double lo, double hi) {
  std::vector<double> out;
  if (!(lo > 0) || !(hi > lo)) return out;
  double decades = std::log10(hi / lo);
  for (double p = std::pow(10, std::floor(std::log10(lo))); p <= hi * 1.0001; p *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (m != 1.0 && decades > 3) continue;
      double t = p * m;
      if (t >= lo * 0.9999 && t <= hi * 1.0001) out.push_back(t);
    }
  }
  return out;
}

Svg::Svg(int width, int height, const std::string& attrs) {
  out_ = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} "
      "{}\"{}{}>",
      width, height, width, height, attrs.empty() ? "" : " ", attrs);
}

void Svg::Rect(double x, double y, double w, double h, const std::string& cls,
               const std::string& title, const std::string& extra_attrs) {
  out_ += fmt::format(
      "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" class=\"{}\"{}{}", x, y,
      std::max(w, 0.0), std::max(h, 0.0), cls, extra_attrs.empty() ? "" : " ", extra_attrs);
  if (title.empty()) {
    out_ += "/>";
  } else {
    out_ += "><title>" + Esc(title) + "</title></rect>";
  }
}

void Svg::Line(double x1, double y1, double x2, double y2, const std::string& cls) {
  out_ +=
      fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" class=\"{}\"/>",
                  x1, y1, x2, y2, cls);
}

void Svg::Path(const std::vector<std::pair<double, double>>& points, const std::string& cls) {
  std::string d;
  bool pen_down = false;
  for (const auto& [x, y] : points) {
    if (y < 0) {
      pen_down = false;
      continue;
    }
    d += fmt::format("{}{:.1f},{:.1f}", pen_down ? "L" : "M", x, y);
    pen_down = true;
  }
  if (!d.empty()) out_ += fmt::format("<path d=\"{}\" class=\"{}\"/>", d, cls);
}

void Svg::Circle(double x, double y, double r, const std::string& cls, const std::string& title) {
  out_ +=
      fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{:.1f}\" class=\"{}\"", x, y, r, cls);
  if (title.empty()) {
    out_ += "/>";
  } else {
    out_ += "><title>" + Esc(title) + "</title></circle>";
  }
}

void Svg::Text(double x, double y, const std::string& text, const std::string& cls,
               const std::string& anchor) {
  out_ += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" class=\"{}\" text-anchor=\"{}\">{}</text>",
                      x, y, cls, anchor, Esc(text));
}

std::string Svg::Finish() { return out_ + "</svg>"; }

std::string Fixed(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

std::string Compact(double v) {
  double a = std::abs(v);
  if (a >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.0f}k", v / 1e3);
  if (a >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  if (a >= 10 || a == 0) return fmt::format("{:.0f}", v);
  if (a >= 1) return fmt::format("{:.1f}", v);
  return fmt::format("{:.2g}", v);
}

}  // namespace faultline::harness::report

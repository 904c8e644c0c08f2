// A small SVG writer for the report's charts: escaped text, shapes with CSS classes (the page's
// stylesheet colours them), <title> tooltips, and linear / log scales with round ticks. Output is
// a string; nothing here knows about runs.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace faultline::harness::report {

// Escapes &, <, >, " and ' for HTML/SVG text and attribute values.
std::string Esc(const std::string& text);

// Maps [d0, d1] onto [r0, r1] linearly, or logarithmically when `log` (d0 > 0).
struct Scale {
  double d0 = 0, d1 = 1, r0 = 0, r1 = 1;
  bool log = false;
  double operator()(double d) const;
};

// About `count` round tick values covering [lo, hi] (1, 2, 5 x 10^k steps).
std::vector<double> NiceTicks(double lo, double hi, int count);
// Powers of ten (and their 2x, 5x when few) within [lo, hi], for a log axis.
std::vector<double> LogTicks(double lo, double hi);

class Svg {
 public:
  // `attrs` is extra raw attributes for the <svg> element (id, class, role).
  Svg(int width, int height, const std::string& attrs);

  void Rect(double x, double y, double w, double h, const std::string& cls,
            const std::string& title = "", const std::string& extra_attrs = "");
  void Line(double x1, double y1, double x2, double y2, const std::string& cls);
  // A polyline; points with y < 0 break the line (no sample).
  void Path(const std::vector<std::pair<double, double>>& points, const std::string& cls);
  void Circle(double x, double y, double r, const std::string& cls, const std::string& title = "");
  // anchor: start | middle | end.
  void Text(double x, double y, const std::string& text, const std::string& cls,
            const std::string& anchor = "start");
  // Raw markup (already escaped), e.g. <g> wrappers and <a> links.
  void Raw(const std::string& markup) { out_ += markup; }
  std::string Finish();

 private:
  std::string out_;
};

// Number formatting shared by charts and tables.
std::string Fixed(double v, int decimals);
std::string Compact(double v);  // 1234 -> "1.2k", 0.5 -> "0.5"
// (UTC time text: harness/history/store_util.h UtcTimeText, one formatter for the project.)

}  // namespace faultline::harness::report

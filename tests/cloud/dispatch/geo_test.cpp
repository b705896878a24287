#include "tidewire/dispatch/geo.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tidewire/common/random.hpp"
#include "tidewire/dispatch/travel_time.hpp"

namespace tidewire::dispatch {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(Geo, ValidatesRanges) {
  EXPECT_TRUE(is_valid({0, 0}));
  EXPECT_TRUE(is_valid({90, 180}));
  EXPECT_TRUE(is_valid({-90, -180}));
  EXPECT_FALSE(is_valid({90.0001, 0}));
  EXPECT_FALSE(is_valid({0, -180.0001}));
  EXPECT_FALSE(is_valid({kNaN, 0}));
  EXPECT_FALSE(is_valid({0, kInf}));

  EXPECT_TRUE(validate({31.23, 121.47}).ok());
  const Status lat = validate({91.5, 0});
  ASSERT_FALSE(lat.ok());
  EXPECT_EQ(lat.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(lat.error().message.find("latitude 91.5"), std::string::npos) << lat.error().message;
  const Status lon = validate({0, -200});
  ASSERT_FALSE(lon.ok());
  EXPECT_NE(lon.error().message.find("longitude -200"), std::string::npos) << lon.error().message;
  EXPECT_NE(validate({kNaN, 0}).error().message.find("not a finite"), std::string::npos);
}

TEST(Geo, HaversineKnownDistances) {
  // One degree of arc on the mean-radius sphere.
  EXPECT_NEAR(haversine_m({0, 0}, {1, 0}), 111'195.08, 0.01);
  EXPECT_NEAR(haversine_m({45, 10}, {46, 10}), 111'195.08, 0.01);
  EXPECT_NEAR(haversine_m({0, 0}, {0, 1}), 111'195.08, 0.01);
  // Shanghai: People's Square to the Bund (Chen Yi statue), ~1.35 km.
  const double square_to_bund = haversine_m({31.2304, 121.4737}, {31.2400, 121.4860});
  EXPECT_GT(square_to_bund, 1'300.0);
  EXPECT_LT(square_to_bund, 1'700.0);
  // Paris - London, ~343.5 km on the sphere.
  EXPECT_NEAR(haversine_m({48.8566, 2.3522}, {51.5074, -0.1278}) / 1000.0, 343.5, 1.0);
  // Antipodes and the pole.
  EXPECT_NEAR(haversine_m({0, 0}, {0, 180}), kMaxDistanceM, 1e-6);
  EXPECT_NEAR(haversine_m({90, 0}, {-90, 0}), kMaxDistanceM, 1e-6);
  EXPECT_NEAR(haversine_m({89.999, 0}, {89.999, 180}), 2 * 0.001 * kMetresPerDegree, 0.01);
  EXPECT_EQ(haversine_m({10, 20}, {10, 20}), 0.0);
}

TEST(Geo, HaversineAcrossTheAntimeridian) {
  // 0.002 degrees of longitude apart on the equator, on opposite sides of lon ±180.
  EXPECT_NEAR(haversine_m({0, 179.999}, {0, -179.999}), 0.002 * kMetresPerDegree, 1e-3);
  EXPECT_NEAR(haversine_m({0, 180}, {0, -180}), 0.0, 1e-6);
  EXPECT_NEAR(equirectangular_m({0, 179.999}, {0, -179.999}), 0.002 * kMetresPerDegree, 1e-3);
}

TEST(Geo, HaversineIsSymmetricAndRejectsBadPoints) {
  SeededRandom random(7);
  for (int i = 0; i < 1000; ++i) {
    const LatLon a{random.unit() * 180 - 90, random.unit() * 360 - 180};
    const LatLon b{random.unit() * 180 - 90, random.unit() * 360 - 180};
    const double ab = haversine_m(a, b);
    EXPECT_NEAR(ab, haversine_m(b, a), 1e-6);
    EXPECT_GE(ab, 0.0);
    EXPECT_LE(ab, kMaxDistanceM + 1e-6);
  }
  EXPECT_TRUE(std::isnan(haversine_m({91, 0}, {0, 0})));
  EXPECT_TRUE(std::isnan(haversine_m({0, 0}, {0, kNaN})));
  EXPECT_TRUE(std::isnan(equirectangular_m({0, 0}, {0, 181})));
}

TEST(Geo, EquirectangularCloseToHaversineInACity) {
  SeededRandom random(11);
  const LatLon centre{31.2304, 121.4737};
  for (int i = 0; i < 1000; ++i) {
    const LatLon a = random_point_within(random, centre, 30'000);
    const LatLon b = random_point_within(random, centre, 30'000);
    const double exact = haversine_m(a, b);
    EXPECT_NEAR(equirectangular_m(a, b), exact, exact * 1e-3 + 1e-6);
  }
}

TEST(Geo, NormalizeAndOffset) {
  EXPECT_DOUBLE_EQ(normalize_lon(190), -170);
  EXPECT_DOUBLE_EQ(normalize_lon(-190), 170);
  EXPECT_DOUBLE_EQ(normalize_lon(180), -180);
  EXPECT_DOUBLE_EQ(normalize_lon(540), -180);
  EXPECT_DOUBLE_EQ(normalize_lon(12.5), 12.5);

  const LatLon start{31.2304, 121.4737};
  EXPECT_NEAR(haversine_m(start, offset_m(start, 1'000, 0)), 1'000, 0.01);
  EXPECT_NEAR(haversine_m(start, offset_m(start, 0, 1'000)), 1'000, 0.5);
  EXPECT_NEAR(haversine_m(start, offset_m(start, 3'000, -4'000)), 5'000, 2.0);
  // Eastward across the antimeridian wraps the longitude.
  const LatLon wrapped = offset_m({0, 179.999}, 0, 1'000);
  EXPECT_TRUE(is_valid(wrapped));
  EXPECT_LT(wrapped.lon, -179.99);
  // Northward past the pole clamps.
  EXPECT_EQ(offset_m({89.99, 0}, 10'000, 0).lat, 90.0);
}

TEST(Geo, RandomPointsStayInsideTheDisc) {
  SeededRandom random(3);
  const LatLon centre{-33.8688, 151.2093};
  int inner = 0;
  for (int i = 0; i < 4000; ++i) {
    const LatLon p = random_point_within(random, centre, 10'000);
    const double d = haversine_m(centre, p);
    EXPECT_LE(d, 10'000 * 1.001);
    if (d < 5'000) ++inner;
  }
  // Uniform over the area: a quarter of the points within half the radius.
  EXPECT_NEAR(inner / 4000.0, 0.25, 0.03);
}

TEST(TravelTime, StraightLineAtConfiguredSpeed) {
  const StraightLineTravel travel;  // 320 m/min
  EXPECT_DOUBLE_EQ(travel.speed_m_per_min(), 320.0);
  EXPECT_DOUBLE_EQ(travel.seconds_for_metres(3'200), 600.0);
  const LatLon a{31.2304, 121.4737};
  const LatLon b = offset_m(a, 3'200, 0);
  EXPECT_NEAR(travel.seconds(a, b), 600.0, 0.01);
  EXPECT_EQ(travel.seconds(a, a), 0.0);

  const StraightLineTravel winding(400, 1.25);
  EXPECT_NEAR(winding.seconds(a, b), 3'200 * 1.25 / 400 * 60, 0.01);

  // Through the interface, as solvers use it.
  const TravelTime& as_interface = winding;
  EXPECT_DOUBLE_EQ(as_interface.seconds(a, b), winding.seconds(a, b));
}

TEST(TravelTime, BadInputIsNeverCheap) {
  const StraightLineTravel travel;
  EXPECT_EQ(travel.seconds({95, 0}, {0, 0}), kInf);
  EXPECT_EQ(travel.seconds({0, 0}, {kNaN, 0}), kInf);
  EXPECT_EQ(travel.seconds_for_metres(-1), kInf);
  EXPECT_EQ(travel.seconds_for_metres(kNaN), kInf);

  EXPECT_FALSE(StraightLineTravel::create(0).ok());
  EXPECT_FALSE(StraightLineTravel::create(-5).ok());
  EXPECT_FALSE(StraightLineTravel::create(kInf).ok());
  EXPECT_FALSE(StraightLineTravel::create(320, 0.9).ok());
  EXPECT_FALSE(StraightLineTravel::create(320, kNaN).ok());
  const auto bad = StraightLineTravel::create(-5);
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("speed"), std::string::npos);
  const auto good = StraightLineTravel::create(250, 1.3);
  ASSERT_TRUE(good.ok());
  EXPECT_DOUBLE_EQ(good->speed_m_per_min(), 250);
  EXPECT_DOUBLE_EQ(good->detour_factor(), 1.3);

  // The constructor falls back to defaults rather than produce NaN times.
  const StraightLineTravel fallback(kNaN, 0.5);
  EXPECT_DOUBLE_EQ(fallback.speed_m_per_min(), StraightLineTravel::kDefaultSpeedMPerMin);
  EXPECT_DOUBLE_EQ(fallback.detour_factor(), 1.0);
}

}  // namespace
}  // namespace tidewire::dispatch

// test_generated_cpp.cpp: the generated headers compiled as C++17 with
// strict warnings (see meson.build), and the generated C functions called
// from C++: the extern "C" linkage and the layout asserts must hold there too.

#include "everything.nidl.h"
#include "hello.nidl.h"
#include "nopkg.nidl.h"
#include "sensors.nidl.h"
#include "services.nidl.h"
#include "variant_a.nidl.h"
#include "variant_b.nidl.h"

#include <cstdio>
#include <type_traits>

static_assert(std::is_standard_layout<golden_all_Everything>::value,
              "a generated struct is a plain C struct");
static_assert(std::is_trivially_copyable<vehicle_sensors_Temperature>::value,
              "a message can be copied as bytes");
static_assert(sizeof(golden_all_Everything) == 392, "same size as in C");
static_assert(offsetof(golden_all_Everything, inner) == 364, "same offsets as in C");
static_assert(VEHICLE_SENSORS_MAX_ZONES == 8u, "constants are usable in C++");

static int failures;

static void check(bool ok, const char *what)
{
    if (!ok) {
        std::fprintf(stderr, "FAILED: %s\n", what);
        failures++;
    }
}

static nx_err_t on_add(const math_AddRequest *req, math_AddReply *rep,
                       const nx_msg_info_t *info, void *user)
{
    static_cast<void>(info);
    static_cast<void>(user);
    rep->sum = req->a + req->b;
    return NX_OK;
}

static void on_add_reply(nx_err_t status, const math_AddReply *rep, const nx_msg_info_t *info,
                         void *user)
{
    static_cast<void>(status);
    static_cast<void>(rep);
    static_cast<void>(info);
    static_cast<void>(user);
}

static void on_ping(const hello_Ping *msg, const nx_msg_info_t *info, void *user)
{
    static_cast<void>(msg);
    static_cast<void>(info);
    static_cast<void>(user);
}

int main()
{
    golden_all_Everything e;
    golden_all_Everything_init(&e);
    check(golden_all_Everything_validate(&e) == NX_OK, "Everything validates after init");
    check(e.inner.point.x == 1.5f, "defaults of nested structs");
    e.plain = 7;
    check(golden_all_Everything_validate(&e) == NX_ECORRUPT, "an undeclared enum value");

    vehicle_sensors_Zone z;
    vehicle_sensors_Zone_init(&z);
    check(z.value == 20.0f, "Zone.value defaults to 20");
    vehicle_sensors_Temperature t;
    vehicle_sensors_Temperature_init(&t);
    t.unit = VEHICLE_SENSORS_UNIT_KELVIN;
    check(vehicle_sensors_Temperature_validate(&t) == NX_OK, "Temperature validates");
    check(vehicle_sensors_Unit_to_string(t.unit)[0] == 'K', "Unit names");

    Pixel p;
    Pixel_init(&p);
    p.color = COLOR_GREEN;
    check(Pixel_validate(&p) == NX_OK, "types without a package");

    variant_alpha_Batch a;
    variant_beta_two_Batch b;
    variant_alpha_Batch_init(&a);
    variant_beta_two_Batch_init(&b);
    check(a.first.level == VARIANT_ALPHA_LEVEL_LOW && b.id == 7u, "two packages side by side");

    check(hello_ping_subscribe(nullptr, on_ping, nullptr) == NX_EINVAL, "typed subscribe");
    hello_Ping *loan = nullptr;
    check(hello_ping_loan(nullptr, &loan) == NX_EINVAL && loan == nullptr, "typed loan");
    check(hello_greetings_topic.type == &hello_Greeting_desc, "topic descriptors");

    math_AddRequest req;
    math_AddRequest_init(&req);
    math_AddReply rep;
    math_AddReply_init(&rep);
    check(math_add_serve(nullptr, on_add, nullptr) == NX_EINVAL, "typed serve");
    check(math_add_call(nullptr, &req, &rep, 0) == NX_EINVAL, "typed call");
    check(math_add_call_async(nullptr, &req, on_add_reply, nullptr, 0) == NX_EINVAL,
          "typed asynchronous call");
    check(math_add_unserve(nullptr) == NX_EINVAL, "typed unserve");
    check(math_add_service.request == &math_AddRequest_desc &&
              math_add_service.timeout_ms == NX_SERVICE_TIMEOUT_MS,
          "service descriptors");
    return failures == 0 ? 0 : 1;
}

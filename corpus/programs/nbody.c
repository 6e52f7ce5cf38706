// N-body gravity simulation of a small planetary system with symplectic
// Euler steps; prints the total energy before, during and after the run.
#include <math.h>
#include <stdio.h>

#define NBODIES 5
#define STEPS 3000000
#define DT 0.01

struct body {
    double x, y, z;
    double vx, vy, vz;
    double mass;
};

static const double PI = 3.141592653589793;
static const double DAYS_PER_YEAR = 365.24;

// A central star and four planets. The values are arbitrary but plausible
// (positions in AU, velocities in AU/day, masses relative to the star).
static struct body bodies[NBODIES] = {
    {0, 0, 0, 0, 0, 0, 1.0},
    {5.2, -0.3, -0.1, 0.0015, 0.0072, -0.00003, 9.5e-4},
    {9.5, 1.1, -0.4, -0.0009, 0.0055, 0.00002, 2.9e-4},
    {-19.1, 4.2, 0.2, -0.0007, -0.0036, 0.00001, 4.4e-5},
    {27.3, -14.0, -0.3, 0.0015, 0.0028, -0.00006, 5.1e-5},
};

static void init(void) {
    const double solar_mass = 4 * PI * PI;
    double px = 0, py = 0, pz = 0;
    for (int i = 0; i < NBODIES; i++) {
        struct body *b = &bodies[i];
        b->vx *= DAYS_PER_YEAR;
        b->vy *= DAYS_PER_YEAR;
        b->vz *= DAYS_PER_YEAR;
        b->mass *= solar_mass;
        px += b->vx * b->mass;
        py += b->vy * b->mass;
        pz += b->vz * b->mass;
    }
    // Give the star the opposite momentum so the system does not drift.
    bodies[0].vx = -px / bodies[0].mass;
    bodies[0].vy = -py / bodies[0].mass;
    bodies[0].vz = -pz / bodies[0].mass;
}

static double energy(void) {
    double e = 0;
    for (int i = 0; i < NBODIES; i++) {
        const struct body *a = &bodies[i];
        e += 0.5 * a->mass * (a->vx * a->vx + a->vy * a->vy + a->vz * a->vz);
        for (int j = i + 1; j < NBODIES; j++) {
            const struct body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            e -= a->mass * b->mass / sqrt(dx * dx + dy * dy + dz * dz);
        }
    }
    return e;
}

static void step(double dt) {
    // Update velocities from pairwise attraction, then positions.
    for (int i = 0; i < NBODIES; i++) {
        struct body *a = &bodies[i];
        for (int j = i + 1; j < NBODIES; j++) {
            struct body *b = &bodies[j];
            double dx = a->x - b->x, dy = a->y - b->y, dz = a->z - b->z;
            double d2 = dx * dx + dy * dy + dz * dz;
            double mag = dt / (d2 * sqrt(d2));
            a->vx -= dx * b->mass * mag;
            a->vy -= dy * b->mass * mag;
            a->vz -= dz * b->mass * mag;
            b->vx += dx * a->mass * mag;
            b->vy += dy * a->mass * mag;
            b->vz += dz * a->mass * mag;
        }
    }
    for (int i = 0; i < NBODIES; i++) {
        struct body *b = &bodies[i];
        b->x += dt * b->vx;
        b->y += dt * b->vy;
        b->z += dt * b->vz;
    }
}

int main(void) {
    init();
    printf("%.9f\n", energy());
    for (int n = 1; n <= STEPS; n++) {
        step(DT);
        if (n % (STEPS / 4) == 0) {
            printf("%.9f\n", energy());
        }
    }
    // Distance of each planet from the star at the end of the run.
    for (int i = 1; i < NBODIES; i++) {
        double dx = bodies[i].x - bodies[0].x;
        double dy = bodies[i].y - bodies[0].y;
        double dz = bodies[i].z - bodies[0].z;
        printf("body %d r=%.9f\n", i, sqrt(dx * dx + dy * dy + dz * dz));
    }
    return 0;
}

"""GLSL for metallic-roughness PBR under a studio rig (key, fill, rim, hemispheric ambient).

The fragment shader writes tone-mapped *linear* colour, premultiplied by alpha, into a float
target; sRGB encoding happens after the multisample resolve so edges blend in linear light.
Normal maps use a per-pixel cotangent frame (no tangent attribute needed). Ambient light is
a sky/ground hemisphere for diffuse and a roughness-blurred hemisphere for specular with an
analytic split-sum BRDF term: a cheap stand-in for image-based lighting.
"""

VERTEX = """
#version 330
uniform mat4 u_view_projection;
in vec3 in_position;
in vec3 in_normal;
in vec2 in_uv;
out vec3 v_position;
out vec3 v_normal;
out vec2 v_uv;
void main() {
    v_position = in_position;
    v_normal = in_normal;
    v_uv = in_uv;
    gl_Position = u_view_projection * vec4(in_position, 1.0);
}
"""

FRAGMENT = """
#version 330
const float PI = 3.14159265;
in vec3 v_position;
in vec3 v_normal;
in vec2 v_uv;
uniform vec3 u_eye;
uniform vec4 u_base_color;
uniform float u_metallic;
uniform float u_roughness;
uniform vec3 u_emissive;
uniform float u_normal_scale;
uniform float u_occlusion_strength;
uniform int u_alpha_mode;  // 0 opaque, 1 mask, 2 blend
uniform float u_alpha_cutoff;
uniform int u_has_normal_map;
uniform vec3 u_sheen_color;
uniform float u_sheen_roughness;
uniform sampler2D u_base_tex;
uniform sampler2D u_mr_tex;
uniform sampler2D u_normal_tex;
uniform sampler2D u_occlusion_tex;
uniform sampler2D u_emissive_tex;
uniform mat3 u_base_uv;
uniform mat3 u_mr_uv;
uniform mat3 u_normal_uv;
uniform mat3 u_occlusion_uv;
uniform mat3 u_emissive_uv;
uniform vec3 u_light_dir[3];
uniform vec3 u_light_color[3];
uniform vec3 u_sky;
uniform vec3 u_ground;
uniform float u_exposure;
out vec4 f_color;

vec2 tex_uv(mat3 m) { return (m * vec3(v_uv, 1.0)).xy; }

mat3 cotangent_frame(vec3 n, vec3 p, vec2 uv) {
    vec3 dp1 = dFdx(p);
    vec3 dp2 = dFdy(p);
    vec2 duv1 = dFdx(uv);
    vec2 duv2 = dFdy(uv);
    vec3 dp2perp = cross(dp2, n);
    vec3 dp1perp = cross(n, dp1);
    vec3 t = dp2perp * duv1.x + dp1perp * duv2.x;
    vec3 b = dp2perp * duv1.y + dp1perp * duv2.y;
    float m = max(dot(t, t), dot(b, b));
    if (m < 1e-24) return mat3(vec3(0.0), vec3(0.0), n);
    float s = inversesqrt(m);
    // glTF normal maps are +Y up in image space, where v grows downwards
    return mat3(t * s, -b * s, n);
}

float d_ggx(float noh, float a) {
    float a2 = a * a;
    float d = noh * noh * (a2 - 1.0) + 1.0;
    return a2 / (PI * d * d);
}

float v_smith(float nov, float nol, float a) {
    float a2 = a * a;
    float gv = nol * sqrt(nov * nov * (1.0 - a2) + a2);
    float gl = nov * sqrt(nol * nol * (1.0 - a2) + a2);
    return 0.5 / max(gv + gl, 1e-5);
}

vec2 env_brdf(float nov, float roughness) {
    const vec4 c0 = vec4(-1.0, -0.0275, -0.572, 0.022);
    const vec4 c1 = vec4(1.0, 0.0425, 1.04, -0.04);
    vec4 r = roughness * c0 + c1;
    float a004 = min(r.x * r.x, exp2(-9.28 * nov)) * r.x + r.y;
    return vec2(-1.04, 1.04) * a004 + r.zw;
}

// KHR_materials_sheen: Charlie distribution with the Ashikhmin visibility term
float d_charlie(float noh, float roughness) {
    float inv = 1.0 / max(roughness * roughness, 1e-3);
    float sin2 = max(1.0 - noh * noh, 0.0078125);
    return (2.0 + inv) * pow(sin2, inv * 0.5) / (2.0 * PI);
}

float v_ashikhmin(float nol, float nov) {
    return clamp(1.0 / (4.0 * (nol + nov - nol * nov)), 0.0, 1.0);
}

vec3 hemisphere(float y) { return mix(u_ground, u_sky, clamp(y * 0.5 + 0.5, 0.0, 1.0)); }

vec3 pbr_neutral(vec3 color) {
    const float start = 0.76;
    const float desaturation = 0.15;
    float x = min(color.r, min(color.g, color.b));
    float offset = x < 0.08 ? x - 6.25 * x * x : 0.04;
    color -= offset;
    float peak = max(color.r, max(color.g, color.b));
    if (peak < start) return color;
    const float d = 1.0 - start;
    float new_peak = 1.0 - d * d / (peak + d - start);
    color *= new_peak / peak;
    float g = 1.0 - 1.0 / (desaturation * (peak - new_peak) + 1.0);
    return mix(color, vec3(new_peak), g);
}

void main() {
    vec4 base = u_base_color * texture(u_base_tex, tex_uv(u_base_uv));
    if (u_alpha_mode == 1 && base.a < u_alpha_cutoff) discard;
    float alpha = u_alpha_mode == 2 ? base.a : 1.0;
    vec4 mr = texture(u_mr_tex, tex_uv(u_mr_uv));
    float roughness = clamp(u_roughness * mr.g, 0.04, 1.0);
    float metallic = clamp(u_metallic * mr.b, 0.0, 1.0);
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    if (u_has_normal_map == 1) {
        vec3 t = texture(u_normal_tex, tex_uv(u_normal_uv)).xyz * 2.0 - 1.0;
        t.xy *= u_normal_scale;
        mat3 frame = cotangent_frame(n, v_position, tex_uv(u_normal_uv));
        vec3 mapped = frame * t;
        if (dot(mapped, mapped) > 1e-12) n = normalize(mapped);
    }
    vec3 v = normalize(u_eye - v_position);
    float nov = clamp(abs(dot(n, v)), 1e-4, 1.0);
    vec3 f0 = mix(vec3(0.04), base.rgb, metallic);
    vec3 diffuse_color = base.rgb * (1.0 - metallic);
    float a = roughness * roughness;
    vec3 color = vec3(0.0);
    for (int i = 0; i < 3; ++i) {
        vec3 l = u_light_dir[i];
        vec3 h = normalize(l + v);
        float nol = clamp(dot(n, l), 0.0, 1.0);
        float noh = clamp(dot(n, h), 0.0, 1.0);
        float voh = clamp(dot(v, h), 0.0, 1.0);
        vec3 f = f0 + (1.0 - f0) * pow(1.0 - voh, 5.0);
        vec3 specular = f * d_ggx(noh, a) * v_smith(nov, nol, a);
        vec3 diffuse = (1.0 - f) * diffuse_color / PI;
        vec3 sheen = u_sheen_color * d_charlie(noh, u_sheen_roughness) * v_ashikhmin(nol, nov);
        color += (diffuse + specular + sheen) * u_light_color[i] * nol;
    }
    vec3 r = reflect(-v, n);
    vec3 irradiance = hemisphere(n.y);
    vec3 radiance = mix(hemisphere(r.y), irradiance, roughness);
    vec2 ab = env_brdf(nov, roughness);
    float occlusion = mix(1.0, texture(u_occlusion_tex, tex_uv(u_occlusion_uv)).r,
                          u_occlusion_strength);
    color += (diffuse_color * irradiance + radiance * (f0 * ab.x + ab.y)) * occlusion;
    // ambient sheen: strongest at grazing angles, as on velvet
    color += u_sheen_color * irradiance * (0.25 + 0.5 * pow(1.0 - nov, 2.0)) * occlusion;
    color += u_emissive * texture(u_emissive_tex, tex_uv(u_emissive_uv)).rgb;
    color = pbr_neutral(color * u_exposure);
    f_color = vec4(color * alpha, alpha);
}
"""

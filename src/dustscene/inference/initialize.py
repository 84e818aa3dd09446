"""Initial scenes from data: detection, moment-based sizes and shapes, per-pixel spectra."""

from __future__ import annotations

from typing import Any

import equinox as eqx
import numpy as np
from scipy import ndimage

from dustscene.io.observations import ObservationData
from dustscene.scene import (
    Component,
    Dust,
    Frame,
    FreeMorphology,
    FreeSpectrum,
    NodeMap,
    Observation,
    PointSourceMorphology,
    ProfileMap,
    Scene,
    SersicMorphology,
    Sky,
    Source,
    UniformMap,
    WaveletMorphology,
    box_around,
    filter_curves,
    model_psf_sigma,
    starlet_transform,
)
from dustscene.scene.sedspectrum import YOUNG, SEDSpectrum, population, sed_spectrum_from_fluxes
from dustscene.sed.dust import band_k


def detection_image(images: np.ndarray, variance: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """Inverse-variance weighted band sum in S/N units."""
    w = np.where(bad | (variance <= 0), 0.0, 1.0 / np.where(variance > 0, variance, 1.0))
    num = (w * images).sum(0)
    den = np.sqrt(w.sum(0))
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)


def detect_sources(
    data: ObservationData, *, threshold: float = 5.0, max_sources: int = 10, min_separation: int = 3
) -> np.ndarray:
    """Local maxima of the smoothed S/N image above `threshold`, brightest first, as (y, x)."""
    det = ndimage.gaussian_filter(detection_image(data.images, data.variance, data.bad), 1.0)
    peaks = (det == ndimage.maximum_filter(det, size=2 * min_separation + 1)) & (det > threshold)
    ys, xs = np.nonzero(peaks)
    order = np.argsort(-det[ys, xs])[:max_sources]
    if order.size == 0:
        cy, cx = np.unravel_index(np.argmax(det), det.shape)
        return np.array([[cy, cx]], dtype=float)
    return np.stack([ys[order], xs[order]], -1).astype(float)


def detect_clumps(
    det: np.ndarray, centers: np.ndarray, psf_sigma: float, cfg: dict[str, Any]
) -> np.ndarray:
    """Compact sources on top of extended galaxies (star-forming clumps), as (y, x): peaks of
    the PSF-matched, high-passed detection image (the galaxy smoothed at 3 PSF sigma removed)
    above `clump_snr` times its robust noise, at least 3 px from every catalogue centre,
    brightest first, at most `max_clumps`."""
    high = det - ndimage.gaussian_filter(det, 3.0 * psf_sigma)
    matched = ndimage.gaussian_filter(high, max(0.5 * psf_sigma, 0.5))
    noise = 1.4826 * np.median(np.abs(matched - np.median(matched)))
    sig = matched / max(noise, 1e-12)
    peaks = (sig == ndimage.maximum_filter(sig, size=5)) & (sig > float(cfg["clump_snr"]))
    ys, xs = np.nonzero(peaks)
    far = ((ys[:, None] - centers[None, :, 0]) ** 2 + (xs[:, None] - centers[None, :, 1]) ** 2
           ).min(1) > 9.0
    ys, xs = ys[far], xs[far]
    order = np.argsort(-sig[ys, xs])[: int(cfg["max_clumps"])]
    return np.stack([ys[order], xs[order]], -1).astype(float) if order.size else np.zeros((0, 2))


def moments(image: np.ndarray, center: np.ndarray, radius: float) -> tuple[float, float, float]:
    """(sigma_major [pixels], axis ratio q, angle theta) from Gaussian-windowed second moments."""
    yy, xx = np.indices(image.shape, dtype=float)
    dy, dx = yy - center[0], xx - center[1]
    w = np.clip(image, 0, None) * np.exp(-0.5 * (dx**2 + dy**2) / radius**2)
    if w.sum() <= 0:
        return 1.5, 0.9, 0.0
    w = w / w.sum()
    cxx, cyy, cxy = (w * dx * dx).sum(), (w * dy * dy).sum(), (w * dx * dy).sum()
    tr, det = cxx + cyy, cxx * cyy - cxy**2
    disc = np.sqrt(max(tr**2 / 4 - det, 0.0))
    l1, l2 = tr / 2 + disc, max(tr / 2 - disc, 1e-3)
    theta = 0.5 * np.arctan2(2 * cxy, cxx - cyy)

    # undo the window's shrinking of a Gaussian: 1/s^2 = 1/s_obs^2 - 1/r^2
    def unwin(v: float) -> float:
        return 1.0 / max(1.0 / v - 1.0 / radius**2, 1.0 / (4 * radius**2))

    s1, s2 = np.sqrt(unwin(l1)), np.sqrt(unwin(l2))
    return float(s1), float(np.clip(s2 / s1, 0.2, 0.95)), float(theta)


def footprint_half_size(
    det: np.ndarray,
    own: np.ndarray,
    peak: tuple[int, int],
    *,
    level: float = 1.0,
    limits: tuple[int, int] = (5, 30),
) -> int:
    """Half size of a box holding the source's connected footprint (smoothed S/N > `level`)."""
    sm = ndimage.gaussian_filter(det, 1.0)
    lab, _ = ndimage.label((sm > level) & own)
    if lab[peak] == 0:
        return limits[0]
    ys, xs = np.nonzero(lab == lab[peak])
    half = max(np.abs(ys - peak[0]).max(), np.abs(xs - peak[1]).max()) + 2
    return int(np.clip(half, *limits))


def support_mask(
    det: np.ndarray, own: np.ndarray, box: tuple[int, int, int, int], cfg: dict[str, Any]
) -> np.ndarray:
    """Free-pixel support in `box`: S/N (smoothed by `support_smoothing` px) above `support_snr`,
    dilated once, and (if `support_exclusive`) only in the source's own cell, so that no two
    sources own the same pixel (overlapping free pixels are degenerate, wasted parameters).
    """
    y0, x0, h, w = box
    sm = ndimage.gaussian_filter(det, float(cfg["support_smoothing"]))
    sup = ndimage.binary_dilation(sm > cfg["support_snr"], iterations=1)
    if cfg["support_exclusive"]:
        sup &= own
    return sup[y0 : y0 + h, x0 : x0 + w].copy()


def _free_patch(
    det: np.ndarray,
    own: np.ndarray,
    bad: np.ndarray,
    box: tuple[int, int, int, int],
    peak: tuple[int, int],
    cfg: dict[str, Any],
) -> tuple[np.ndarray, np.ndarray | None]:
    """Initial unit-sum free pixels of a source in `box` (its detection S/N) and their support
    (`support_mask`, always holding the peak), or None for the whole box."""
    y0, x0, h, w = box
    iy, ix = peak
    patch = np.clip(np.where(own & ~bad.any(0), det, 0.0)[y0 : y0 + h, x0 : x0 + w], 0, None)
    sup = None
    if cfg["support_snr"] > 0:
        sup = support_mask(det, own, box, cfg)
        sup[min(iy - y0, h - 1), min(ix - x0, w - 1)] = True
        patch = np.clip(det[y0 : y0 + h, x0 : x0 + w], 0, None) * sup
    return patch / max(patch.sum(), 1e-12), sup


def _latent_spectrum_factory(cfg: dict[str, Any], data: Any, wave: Any, trans: Any):
    """spectrum: latent -> a function flux -> LatentSpectrum at the scene's redshift, with the
    trained prior (loaded once, sha256-checked) and log p(latents) as the latents' prior."""
    from dustscene.spectra import LatentSpectrum, load_spectrum_prior

    z = cfg["redshift"] if cfg["redshift"] is not None else data.redshift
    if z is None:
        raise ValueError(
            f"{data.path}: fit config 'spectrum: latent' needs a redshift (fit key 'redshift' "
            "or the file's `redshift` attribute)"
        )
    model, density, _ = load_spectrum_prior(cfg["spectrum_prior"])
    return lambda flux: LatentSpectrum(model, density, float(np.mean(flux)), wave, trans, float(z))


def _scaled(spectrum: Any, factor: Any) -> Any:
    """The same kind of spectrum with its initial fluxes (or amplitude, or mass) times `factor`."""
    if isinstance(spectrum, FreeSpectrum):
        return FreeSpectrum(np.asarray(spectrum()) * factor)
    if isinstance(spectrum, SEDSpectrum):
        return spectrum.scaled(float(np.mean(factor)))
    amp = spectrum.amplitude
    return eqx.tree_at(lambda s: s.amplitude.value, spectrum, amp.value * float(np.mean(factor)))


def _sed_spectrum_factory(cfg: dict[str, Any], data: Any):
    """spectrum: sed -> a function (flux, role) -> SEDSpectrum (dust-free SED model at the fit's
    redshift), the SSP table loaded once; `role` (bulge | disk | clumps) picks the population
    prior of fit key `population` (a mock suite's `sed` block), and without one the young box
    for clumps (arms and clumps of the free part) and the uniform box otherwise."""
    from dustscene.sed.filters import load_filters
    from dustscene.sed.ssp import load_ssp_table

    if not cfg["ssp_table"]:
        raise ValueError("fit config 'spectrum: sed' needs 'ssp_table' (an SSP table .h5 path)")
    table = load_ssp_table(cfg["ssp_table"])
    filters = load_filters(cfg["survey"], list(data.bands))
    z, _ = fit_redshift(cfg, data)
    if z <= 0:
        raise ValueError(
            f"{data.path}: fit config 'spectrum: sed' needs a redshift > 0 (fit key 'redshift' "
            "or the file's `redshift` attribute)"
        )
    sed_block = None
    if cfg["population"]:
        from dustscene.config import load_yaml

        # a suite YAML path, or the suite itself (the workflow passes its merged mock suite)
        pop = cfg["population"]
        suite = pop if isinstance(pop, dict) else load_yaml(pop)
        where = "the suite given" if isinstance(pop, dict) else pop
        if not isinstance(suite, dict) or "sed" not in suite:
            raise ValueError(f"{where}: fit key 'population' needs a mock suite with a 'sed' "
                             "block")
        sed_block = suite["sed"]

    def make(flux, role: str | None = None):
        # counts at AB zero point 27, as in the mocks and HSC coadds; `role` (bulge | disk |
        # clumps): the population prior of that kind of component, else the uniform box (the
        # young box for clumps)
        if sed_block is not None and role is not None:
            pop = population(sed_block, role)
            box, alpha = pop.ranges, pop.sfh_alpha
        else:
            box, alpha = (YOUNG if role == "clumps" else None), None
        return sed_spectrum_from_fluxes(
            flux, table, filters, z, zeropoint=27.0, ranges=box, sfh_alpha=alpha
        )

    return make


def _psf_sigma(psf: np.ndarray) -> float:
    return model_psf_sigma(psf[None], maximum=np.inf, fraction=1.0)


def fit_redshift(cfg: dict[str, Any], data: ObservationData) -> tuple[float, str]:
    """The redshift the dust law (and SED spectra) are evaluated at, and where it came from:
    the fit config's `redshift`, else the file's `redshift`, else 0 (the law in the observed
    frame: k_b is then ~10-15 % low for z ~ 0.1-0.2 galaxies)."""
    if cfg["redshift"] is not None:
        return float(cfg["redshift"]), "config"
    if data.redshift is not None:
        return float(data.redshift), "file"
    return 0.0, "none (observed frame)"


def _dust(
    cfg: dict[str, Any],
    data: ObservationData,
    center: np.ndarray,
    shape: tuple[float, float, float],
    box: tuple[int, int, int, int],
    psf_sigma: float,
    support: np.ndarray | None = None,
) -> Dust:
    """The dust in front of one source: its map (`dust`: smooth | free | wavelet | resolved), the
    law's k_b at the rest frame, and the geometry (`dust_geometry`: screen | partial)."""
    sig_int, q, theta = shape
    y0, x0, h, w = box
    e0 = float(cfg["ebv_init"])
    if cfg["dust"] == "smooth":
        dmap = ProfileMap(e0, center, max(2 * sig_int, 2.0), q, theta)
    elif cfg["dust"] == "free":
        dmap = FreeMorphology(np.full((h, w), e0), (y0, x0), floor=1e-3)
    elif cfg["dust"] == "resolved":
        # nodes every half PSF FWHM (Nyquist for a map seen through the PSF) unless configured
        spacing = cfg["dust_spacing"] or max(1.0, 0.5 * 2.3548 * psf_sigma)
        taper = None
        if cfg["dust_support"] and support is not None:
            # the source's support, its edge softened over the PSF: dust only where light is
            taper = np.clip(ndimage.gaussian_filter(support.astype(float), psf_sigma), 0, 1)
        dmap = NodeMap(
            e0,
            (y0, x0),
            (h, w),
            float(spacing),
            sigma_diff=float(cfg["dust_smoothness"]),
            sigma_level=float(cfg["dust_level"]),
            sigma_mean=None if cfg["dust_mean"] is None else float(cfg["dust_mean"]),
            taper=taper,
        )
    else:
        dmap = WaveletMorphology(
            starlet_transform(np.full((h, w), e0), cfg["wavelet_scales"]), (y0, x0)
        )
    z, _ = fit_redshift(cfg, data)
    k_bands, _ = band_k(cfg["dust_law"], cfg["survey"], data.bands, z)
    covering = float(cfg["covering_init"]) if cfg["dust_geometry"] == "partial" else None
    return Dust.from_law(k_bands, dmap, free=cfg["dust_free_opacity"], covering=covering)


def _birth_clouds(dust: Dust, cfg: dict[str, Any]) -> Dust:
    """The free part's own uniform screen, with the source screen's (fixed) law: the birth
    clouds around young stars (Charlot & Fall 2000), which dim the star-forming clumps but not
    the disk around them, so a single screen over all the light cannot draw them."""
    return Dust(dust.s_d, UniformMap(float(cfg["ebv_init"])))


def _with_score_prior(comps: list, cfg: dict[str, Any], seen: np.ndarray) -> list:
    """Every free-pixel or starlet morphology of `comps` under the score prior of
    `cfg['score_prior']` (a model path, or a ScorePrior) at `cfg['score_temperature']`, its
    image normalised by its peak over `seen` (y, x: pixels with data in some band)."""
    from dustscene.priors import ScorePrior, load_score_model, with_score_prior

    prior = cfg["score_prior"]
    if not isinstance(prior, ScorePrior):
        net, _ = load_score_model(prior)
        prior = ScorePrior(net, temperature=float(cfg["score_temperature"]))
    pixels = (FreeMorphology, WaveletMorphology)

    def scored(m: Any) -> Any:
        if not isinstance(m, pixels):
            return m
        h, w = m.box if isinstance(m, FreeMorphology) else m.coefficients.value.shape[-2:]
        y0, x0 = m.origin
        return with_score_prior(m, prior, peak_mask=seen[y0 : y0 + h, x0 : x0 + w])

    out = []
    for c in comps:
        if isinstance(c, Source):
            out.append(eqx.tree_at(lambda s: s.morphologies, c,
                                   tuple(scored(m) for m in c.morphologies)))
        else:
            out.append(eqx.tree_at(lambda s: s.morphology, c, scored(c.morphology)))
    return out


def build_scene(data: ObservationData, config: dict[str, Any]) -> tuple[Scene, Observation]:
    """An initial scene (per `config`, see `run.DEFAULTS`) and the observation to fit it to."""
    cfg = config
    sigma_m = cfg.get("model_psf_sigma") or model_psf_sigma(data.psfs)
    frame = Frame(data.bands, data.shape, pixel_scale=data.pixel_scale, psf_sigma=sigma_m)
    obs = Observation.from_variance(data.images, data.variance, data.psfs, frame, mask=data.bad)
    found = detect_sources(data, threshold=cfg["detect_threshold"], max_sources=cfg["max_sources"])
    if data.centers is None:
        centers = found
    else:
        centers = np.asarray(data.centers, dtype=float)
        if cfg["detect_extra"]:
            # detected peaks the catalogue misses (> `min_separation` px from every entry)
            d2 = ((found[:, None, :] - centers[None, :, :]) ** 2).sum(-1).min(1)
            far = found[d2 > float(cfg["extra_separation"]) ** 2]
            if len(far) and data.centers is not None:
                centers = np.concatenate([centers, far])
    sky0 = np.array(
        [
            np.median(im[~b]) if (~b).any() else 0.0
            for im, b in zip(data.images, data.bad, strict=True)
        ]
    )
    sky0 = np.where(cfg["sky"], sky0, 0.0) if cfg["sky"] else np.zeros(len(data.bands))
    clean = data.images - sky0[:, None, None]
    det = detection_image(clean, data.variance, data.bad)
    psf_w = _psf_sigma(data.psfs[len(data.bands) // 2])
    # per-source footprint: pixels closer to this centre than to any other (Voronoi split)
    yy, xx = np.indices(data.shape)
    dist = np.stack([(yy - c[0]) ** 2 + (xx - c[1]) ** 2 for c in centers])
    owner = np.argmin(dist, axis=0)
    stars = set(cfg.get("point_sources", []))
    wave = trans = None
    if cfg["dust"] != "none" or cfg["spectrum"] in ("blackbody", "latent"):
        wave, trans = filter_curves(data.bands, cfg["survey"])
    if cfg["spectrum"] == "latent":
        make_spectrum = _latent_spectrum_factory(cfg, data, wave, trans)
    elif cfg["spectrum"] == "sed":
        make_spectrum = _sed_spectrum_factory(cfg, data)
    elif cfg["spectrum"] == "blackbody":
        from dustscene.scene import BlackBodySpectrum

        def make_spectrum(flux):
            return BlackBodySpectrum(6000.0, float(flux[0]), wave, trans)
    else:
        make_spectrum = FreeSpectrum
    sed_roles = cfg["spectrum"] == "sed" and cfg["morphology"] == "bulge_disk"

    def role(name: str) -> dict[str, str]:
        """SED spectra of bulge_disk parts know their kind (population prior, young box)."""
        return {"role": name} if sed_roles else {}

    comps = []
    for k, c in enumerate(centers):
        own = owner == k
        sig, q, theta = moments(np.where(own, det, 0.0), c, radius=max(3.0, 2 * psf_w))
        sig_int = float(np.sqrt(max(sig**2 - psf_w**2, 0.5**2)))
        iy, ix = int(round(c[0])), int(round(c[1]))
        iy, ix = min(max(iy, 0), data.shape[0] - 1), min(max(ix, 0), data.shape[1] - 1)
        flux = np.array(
            [
                np.clip(np.where(own & ~b, im, 0), 0, None).sum()
                for im, b in zip(clean, data.bad, strict=True)
            ]
        )
        flux = np.maximum(flux, 1e-3 * max(flux.max(), 1e-6))
        spectrum = make_spectrum(flux)
        if k in stars:
            comps.append(Component(spectrum, PointSourceMorphology(c)))
            continue
        half = cfg["box_half_size"] or footprint_half_size(det, own, (iy, ix))
        y0, x0, h, w = box_around(c, half, data.shape)
        extra = []  # further (spectrum, morphology) parts of this source
        if cfg["morphology"] == "sersic":
            morph = SersicMorphology(
                c,
                n=1.5,
                r_e=max(1.2 * sig_int, 1.0),
                q=q,
                theta=theta,
                oversample=cfg["oversample"],
            )
        elif cfg["morphology"] == "bulge_disk":
            # bulge: compact, n ~ 3, redder; disk: extended, n ~ 1; one centre, one dust map
            b_frac = float(cfg["bulge_fraction"])
            if sed_roles and cfg["population"]:
                # its own population prior, started from the template of its redder light
                spectrum = make_spectrum(b_frac * flux * np.linspace(0.7, 1.3, len(flux)),
                                         **role("bulge"))
            else:
                spectrum = _scaled(spectrum, b_frac * np.linspace(0.7, 1.3, len(flux)))
            morph = SersicMorphology(
                c,
                n=3.0,
                r_e=max(0.5 * sig_int, 0.7),
                q=min(q + 0.1, 0.95),
                theta=theta,
                oversample=cfg["oversample"],
                n_bounds=(1.5, 6.0),
            )
            disk = SersicMorphology(
                c,
                n=1.0,
                r_e=max(1.5 * sig_int, 1.0),
                q=q,
                theta=theta,
                oversample=cfg["oversample"],
                n_bounds=(0.5, 2.0),
            )
            extra.append((make_spectrum((1 - b_frac) * flux, **role("disk")), disk))
            if cfg["free_part"]:
                # light the two profiles cannot draw (arms, clumps): free pixels with their own
                # spectrum, started at `free_part_fraction` of the flux
                f_p = float(cfg["free_part_fraction"])
                patch, sup = _free_patch(det, own, data.bad, (y0, x0, h, w), (iy, ix), cfg)
                extra.append((make_spectrum(f_p * flux, **role("clumps")),
                              FreeMorphology(patch, (y0, x0), support=sup)))
        else:
            patch, sup = _free_patch(det, own, data.bad, (y0, x0, h, w), (iy, ix), cfg)
            morph = (
                FreeMorphology(patch, (y0, x0), support=sup)
                if cfg["morphology"] == "free"
                else WaveletMorphology(starlet_transform(patch, cfg["wavelet_scales"]), (y0, x0))
            )
            if cfg["halo_snr"] and det[iy, ix] > cfg["halo_snr"]:
                # a bright source's extended light (and its colour gradient): a Sersic part
                # with its own spectrum under the free pixels
                f_h = float(cfg["halo_fraction"])
                spectrum = _scaled(spectrum, 1 - f_h)
                halo = SersicMorphology(
                    c,
                    n=1.0,
                    r_e=max(2.5 * sig_int, 2.0),
                    q=q,
                    theta=theta,
                    oversample=cfg["oversample"],
                    n_bounds=(0.5, 4.0),
                )
                extra.append((make_spectrum(f_h * flux), halo))
        dust = None
        if cfg["dust"] != "none" and k not in stars:
            sup_d = None  # only a resolved map kept to the support needs it
            if cfg["dust"] == "resolved" and cfg["dust_support"] and cfg["support_snr"] > 0:
                sup_d = support_mask(det, own, (y0, x0, h, w), cfg)
            dust = _dust(cfg, data, c, (sig_int, q, theta), (y0, x0, h, w), psf_w, sup_d)
        if extra:
            part_dust = None
            if cfg["birth_clouds"]:  # resolve_config: bulge_disk + free_part + law-fixed dust
                part_dust = (None, None, _birth_clouds(dust, cfg))
            comps.append(
                Source(
                    (spectrum, *(e[0] for e in extra)),
                    (morph, *(e[1] for e in extra)),
                    dust,
                    shared_center=cfg["morphology"] == "bulge_disk",
                    part_dust=part_dust,
                )
            )
        else:
            comps.append(Component(spectrum, morph, dust))
    if cfg["clumps"]:
        for yx in detect_clumps(det, centers, psf_w, cfg):
            flux = np.array([max(float(im[int(yx[0]), int(yx[1])]), 0.0) for im in clean])
            # a point source's peak pixel holds ~1 / (4 pi sigma^2) of its flux
            flux = np.maximum(flux * 4 * np.pi * psf_w**2, 1e-3 * max(flux.max(), 1e-6))
            comps.append(Component(FreeSpectrum(flux), PointSourceMorphology(yx)))
    if cfg["score_prior"] is not None:
        comps = _with_score_prior(comps, cfg, ~data.bad.all(axis=0))
    sky = None
    if cfg["sky"]:
        noise = np.sqrt(np.median(data.variance[~data.bad])) if (~data.bad).any() else 1.0
        sky = Sky(sky0, step=0.01 * float(noise))
    return Scene(frame, tuple(comps), sky), obs

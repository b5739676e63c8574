"""The convolution layer by hand against torch's conv2d and autograd, and finite differences."""

import numpy as np
import pytest
import torch

from rl_kit.agents.convolution import Conv2d, channels_first

CASES = [  # (batch, channels, height, width, filters, kernel, stride, padding)
    (2, 3, 10, 10, 16, 3, 1, 0),  # MinAtar's layer
    (3, 1, 7, 9, 4, 3, 2, 1),
    (1, 4, 8, 8, 5, (2, 3), 1, 2),
    (2, 2, 9, 6, 3, 4, 3, 0),  # the stride leaves a row unread
    (2, 3, 5, 5, 2, 1, 1, 0),
]


def layer_and_data(case, seed=0):
    batch, channels, height, width, filters, kernel, stride, padding = case
    conv = Conv2d(channels, filters, kernel, stride, padding)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, channels, height, width))
    weight, bias = rng.standard_normal(conv.weight_shape), rng.standard_normal(filters)
    return conv, x, weight, bias


@pytest.mark.parametrize("case", CASES)
def test_values_and_every_gradient_equal_torchs_conv2d(case):
    conv, x, weight, bias = layer_and_data(case)
    y = conv.forward(x, weight, bias, keep=True)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, weight, bias))
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=conv.stride, padding=conv.padding)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-12, atol=1e-12)
    d_out = np.random.default_rng(1).standard_normal(y.shape)
    ty.backward(torch.tensor(d_out))
    d_weight, d_bias = np.zeros_like(weight), np.zeros_like(bias)
    dx = conv.backward(d_out, weight, d_weight, d_bias)
    np.testing.assert_allclose(d_weight, tw.grad.numpy(), rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(d_bias, tb.grad.numpy(), rtol=1e-12, atol=1e-11)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-11)


def test_channels_last_images_transposed_once_give_the_same_convolution():
    conv, x, weight, bias = layer_and_data(CASES[0])
    last = np.ascontiguousarray(np.moveaxis(x, 1, -1))  # (B, H, W, C), as Gymnasium's image spaces
    np.testing.assert_array_equal(conv.forward(channels_first(last), weight, bias), conv.forward(x, weight, bias))


@pytest.mark.parametrize("case", [CASES[1], CASES[3]])
def test_gradients_match_finite_differences_of_the_forward_pass(case):
    conv, x, weight, bias = layer_and_data(case, seed=3)
    d_out = np.random.default_rng(4).standard_normal(conv.forward(x, weight, bias).shape)
    loss = lambda x_, w_: float((conv.forward(x_, w_, bias) * d_out).sum())  # noqa: E731
    conv.forward(x, weight, bias, keep=True)
    d_weight, d_bias = np.zeros_like(weight), np.zeros_like(bias)
    dx = conv.backward(d_out, weight, d_weight, d_bias)
    rng, eps = np.random.default_rng(5), 1e-6
    for _ in range(6):
        i = tuple(rng.integers(n) for n in x.shape)
        bumped = x.copy()
        bumped[i] += eps
        assert (loss(bumped, weight) - loss(x, weight)) / eps == pytest.approx(dx[i], rel=1e-4, abs=1e-6)
        j = tuple(rng.integers(n) for n in weight.shape)
        bumped = weight.copy()
        bumped[j] += eps
        assert (loss(x, bumped) - loss(x, weight)) / eps == pytest.approx(d_weight[j], rel=1e-4, abs=1e-6)


def test_a_kernel_that_does_not_fit_and_wrong_channels_are_refused_in_one_line():
    conv = Conv2d(3, 8, 5)
    with pytest.raises(ValueError, match="does not fit"):
        conv.forward(np.zeros((1, 3, 4, 4)), np.zeros(conv.weight_shape), np.zeros(8))
    with pytest.raises(ValueError, match="takes \\(B, 3, H, W\\)"):
        conv.forward(np.zeros((1, 4, 9, 9)), np.zeros(conv.weight_shape), np.zeros(8))
    with pytest.raises(ValueError, match="stride at least 1"):
        Conv2d(3, 8, 3, stride=0)
